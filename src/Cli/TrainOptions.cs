using System.CommandLine;
using SegaLearn.Data;

namespace SegaLearn.Cli;

/// <summary>The options of a training run, shared by <c>train</c> and <c>coordinator</c>.</summary>
internal static class TrainOptions
{
    public static readonly Option<string> Data = new("--data") { Description = "digits, breast-cancer, synthetic, fashion-mnist, a .csv file or a directory of IDX files", DefaultValueFactory = _ => BuiltInDatasets.DigitsName };
    public static readonly Option<string?> LabelColumn = new("--label-column") { Description = "CSV label column, by name or 0-based index (default: the last column)" };
    public static readonly Option<double> TestFraction = new("--test-fraction") { Description = "share of rows held out for testing (not for fashion-mnist, which has its own test set)", DefaultValueFactory = _ => 0.2 };
    public static readonly Option<double> ValidationFraction = new("--validation-fraction")
    {
        Description = "share of the training rows held out for validation, which early stopping and the plateau scheduler then watch (0: none, the seed's behaviour)",
        DefaultValueFactory = _ => 0.0,
    };
    public static readonly Option<string?> Layers = new("--layers") { Description = "layer sizes, input to output, e.g. 64,32,10 (default: inputs,128,outputs)" };
    public static readonly Option<string?> Activations = new("--activations") { Description = "one per dense layer, e.g. relu,softmax (default: relu hidden, sigmoid or softmax output)" };
    public static readonly Option<string?> Loss = new("--loss")
    {
        Description = "cross-entropy or bce for classes; mse, mae or huber for regression, with the CSV label column read as numbers and a linear output (default: bce for one output, else cross-entropy)",
    };
    public static readonly Option<double?> HuberDelta = new("--huber-delta") { Description = "the threshold δ of --loss huber: squared below it, linear above (default 1.0)" };
    public static readonly Option<string> OptimizerName = new("--optimizer") { Description = "adam, sgd or adadelta", DefaultValueFactory = _ => "adam" };
    public static readonly Option<double?> LearningRate = new("--lr") { Description = "learning rate (default: adam 0.001, sgd 0.001, adadelta 1.0)" };
    public static readonly Option<double> Momentum = new("--momentum") { Description = "sgd momentum", DefaultValueFactory = _ => 0.0 };
    public static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "the optimizer's reg_lambda on weights (default: adam 0.01, sgd 0, adadelta 0)" };
    public static readonly Option<double> RegLambda = new("--reg-lambda") { Description = "L2 strength in the loss, reg_lambda·ΣW²", DefaultValueFactory = _ => 0.01 };
    public static readonly Option<double> Dropout = new("--dropout") { Description = "inverted dropout rate on hidden layers", DefaultValueFactory = _ => 0.2 };
    public static readonly Option<int> Epochs = new("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 100 };
    public static readonly Option<int> BatchSize = new("--batch-size") { Description = "samples per optimizer step", DefaultValueFactory = _ => 32 };
    public static readonly Option<int> Microbatch = new("--microbatch") { Description = "samples per microbatch, the unit of work and of the fixed reduction tree", DefaultValueFactory = _ => 32 };
    public static readonly Option<string> Wire = new("--wire")
    {
        Description = "precision of the parameters and gradients workers exchange, float32 or bfloat16; one process rounds the same way, so the model's bits do not depend on placement",
        DefaultValueFactory = _ => "bfloat16",
    };
    public static readonly Option<string> Scheduler = new("--scheduler") { Description = "none, step, exp or plateau (plateau reduces by the step rule)", DefaultValueFactory = _ => "none" };
    public static readonly Option<double> LrDecay = new("--lr-decay") { Description = "scheduler decay factor", DefaultValueFactory = _ => 0.1 };
    public static readonly Option<int> LrDecayEpoch = new("--lr-decay-epoch") { Description = "scheduler period in epochs", DefaultValueFactory = _ => 10 };
    public static readonly Option<int> Patience = new("--patience") { Description = "early-stopping patience in epochs (0: off)", DefaultValueFactory = _ => 10 };
    public static readonly Option<ulong> Seed = new("--seed") { Description = "seeds initialization, split, shuffling and dropout", DefaultValueFactory = _ => 42UL };
    public static readonly Option<string?> BackendName = new("--backend") { Description = "compute backend: " + string.Join(", ", Backends.Names) };
    public static readonly Option<int?> Threads = new("--threads") { Description = "threads for the backend's kernels (default: all cores)" };
    public static readonly Option<string?> Out = new("--out") { Description = "write the trained model to this .safetensors file" };
    public static readonly Option<string?> Metrics = new("--metrics") { Description = "write one JSON line per epoch to this file" };
    public static readonly Option<string?> Plot = new("--plot") { Description = "draw loss, accuracy and learning-rate curves to this PNG file" };
    public static readonly Option<string?> Init = new("--init") { Description = "start from the weights of this model file (same architecture)" };
    public static readonly Option<bool> MetricsSteps = new("--metrics-steps") { Description = "with --metrics and a distributed engine, also one line per step (compute, transfer, reduce, optimizer time; bytes)" };
    public static readonly Option<string?> CheckpointDir = new("--checkpoint-dir") { Description = "write the trainer state atomically to DIR/checkpoint.safetensors every --checkpoint-every steps" };
    public static readonly Option<int> CheckpointEvery = new("--checkpoint-every") { Description = "steps between checkpoints", DefaultValueFactory = _ => 100 };
    public static readonly Option<string?> Resume = new("--resume") { Description = "continue from DIR/checkpoint.safetensors when it exists (and keep checkpointing there)" };

    /// <summary>A command with every training option and <paramref name="extra"/> ones.</summary>
    public static Command Command(string name, string description, params Option[] extra)
    {
        var command = new Command(name, description);
        foreach (var option in All.Concat(extra))
        {
            command.Options.Add(option);
        }

        return command;
    }

    public static IEnumerable<Option> All =>
    [
        Data, LabelColumn, TestFraction, ValidationFraction, Layers, Activations, Loss, HuberDelta, OptimizerName, LearningRate, Momentum, WeightDecay,
        RegLambda, Dropout, Epochs, BatchSize, Microbatch, Wire, Scheduler, LrDecay, LrDecayEpoch, Patience, Seed,
        BackendName, Threads, Out, Metrics, MetricsSteps, Plot, Init, CheckpointDir, CheckpointEvery, Resume,
    ];
}
