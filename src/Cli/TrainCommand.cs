using System.CommandLine;
using System.Globalization;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Serialization;

namespace SegaLearn.Cli;

/// <summary><c>segalearn train</c>: loads a data set, trains, prints the test accuracy, optionally saves the model.</summary>
internal static class TrainCommand
{
    private static readonly Option<string> Data = new("--data") { Description = "digits, breast-cancer, synthetic, fashion-mnist, a .csv file or a directory of IDX files", DefaultValueFactory = _ => BuiltInDatasets.DigitsName };
    private static readonly Option<string?> LabelColumn = new("--label-column") { Description = "CSV label column, by name or 0-based index (default: the last column)" };
    private static readonly Option<double> TestFraction = new("--test-fraction") { Description = "share of rows held out for testing (not for fashion-mnist, which has its own test set)", DefaultValueFactory = _ => 0.2 };
    private static readonly Option<string?> Layers = new("--layers") { Description = "layer sizes, input to output, e.g. 64,32,10 (default: inputs,128,outputs)" };
    private static readonly Option<string?> Activations = new("--activations") { Description = "one per dense layer, e.g. relu,softmax (default: relu hidden, sigmoid or softmax output)" };
    private static readonly Option<string?> Loss = new("--loss") { Description = "cross-entropy or bce (default: bce for one output, else cross-entropy)" };
    private static readonly Option<string> OptimizerName = new("--optimizer") { Description = "adam, sgd or adadelta", DefaultValueFactory = _ => "adam" };
    private static readonly Option<double?> LearningRate = new("--lr") { Description = "learning rate (default: adam 0.001, sgd 0.001, adadelta 1.0)" };
    private static readonly Option<double> Momentum = new("--momentum") { Description = "sgd momentum", DefaultValueFactory = _ => 0.0 };
    private static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "the optimizer's reg_lambda on weights (default: adam 0.01, sgd 0, adadelta 0)" };
    private static readonly Option<double> RegLambda = new("--reg-lambda") { Description = "L2 strength in the loss, reg_lambda·ΣW²", DefaultValueFactory = _ => 0.01 };
    private static readonly Option<double> Dropout = new("--dropout") { Description = "inverted dropout rate on hidden layers", DefaultValueFactory = _ => 0.2 };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "training epochs", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "samples per optimizer step", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> Microbatch = new("--microbatch") { Description = "samples per microbatch, the unit of work and of the fixed reduction tree", DefaultValueFactory = _ => 32 };
    private static readonly Option<string> Scheduler = new("--scheduler") { Description = "none, step, exp or plateau (plateau reduces by the step rule)", DefaultValueFactory = _ => "none" };
    private static readonly Option<double> LrDecay = new("--lr-decay") { Description = "scheduler decay factor", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<int> LrDecayEpoch = new("--lr-decay-epoch") { Description = "scheduler period in epochs", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> Patience = new("--patience") { Description = "early-stopping patience in epochs (0: off)", DefaultValueFactory = _ => 10 };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "seeds initialization, split, shuffling and dropout", DefaultValueFactory = _ => 42UL };
    private static readonly Option<string?> BackendName = new("--backend") { Description = "compute backend: " + string.Join(", ", Backends.Names) };
    private static readonly Option<int?> Threads = new("--threads") { Description = "threads for the backend's kernels (default: all cores)" };
    private static readonly Option<string?> Out = new("--out") { Description = "write the trained model to this .safetensors file" };
    private static readonly Option<string?> Metrics = new("--metrics") { Description = "write one JSON line per epoch to this file" };
    private static readonly Option<string?> Plot = new("--plot") { Description = "draw loss, accuracy and learning-rate curves to this PNG file" };
    private static readonly Option<string?> Init = new("--init") { Description = "start from the weights of this model file (same architecture)" };

    public static Command Create()
    {
        var command = new Command("train", "Train a network and print its test accuracy.")
        {
            Data, LabelColumn, TestFraction, Layers, Activations, Loss, OptimizerName, LearningRate, Momentum, WeightDecay,
            RegLambda, Dropout, Epochs, BatchSize, Microbatch, Scheduler, LrDecay, LrDecayEpoch, Patience, Seed,
            BackendName, Threads, Out, Metrics, Plot, Init,
        };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var seed = parse.GetValue(Seed);
        var dropout = OptionParsing.Fraction(parse.GetValue(Dropout), "--dropout", allowZero: true);
        var regLambda = OptionParsing.NonNegative(parse.GetValue(RegLambda), "--reg-lambda");
        var epochs = OptionParsing.Positive(parse.GetValue(Epochs), "--epochs");
        var batchSize = OptionParsing.Positive(parse.GetValue(BatchSize), "--batch-size");
        var microbatch = OptionParsing.Positive(parse.GetValue(Microbatch), "--microbatch");
        var patience = OptionParsing.NonNegative(parse.GetValue(Patience), "--patience");
        var testFraction = OptionParsing.Fraction(parse.GetValue(TestFraction), "--test-fraction", allowZero: false);
        var outPath = parse.GetValue(Out) is { } o ? OptionParsing.OutputPath(o, "--out") : null;
        var metricsPath = parse.GetValue(Metrics) is { } m ? OptionParsing.OutputPath(m, "--metrics") : null;
        var plotPath = parse.GetValue(Plot) is { } p ? OptionParsing.OutputPath(p, "--plot") : null;
        if (parse.GetValue(BackendName) is { } backendName)
        {
            Backends.Use(backendName, parse.GetValue(Threads));
        }
        else if (parse.GetValue(Threads) is { } threads)
        {
            Backends.Use(Backends.Current.Name, threads);
        }

        var optimizer = CreateOptimizer(parse);
        var dataSpec = parse.GetValue(Data)!;
        var labelColumn = parse.GetValue(LabelColumn);
        var split = PreparedData.Load(dataSpec, labelColumn, seed, testFraction);
        var preprocessing = split.Preprocessing;
        var train = split.Train.Features;
        var test = split.Test.Features;
        var architecture = BuildArchitecture(parse, split.Train);
        var scheduler = CreateScheduler(parse, optimizer);

        var network = new NeuralNetwork(architecture, InitialParameters(parse, architecture), dropout, regLambda, seed, Backends.Current);
        Console.WriteLine($"data: {split.Train.Name}, {split.Train.Rows} training and {split.Test.Rows} test rows, {split.Train.Features.Columns} features, {split.Train.ClassCount} classes");
        Console.WriteLine($"model: {architecture}; {Backends.Describe()}");

        using var metrics = metricsPath is null ? null : new MetricsWriter(metricsPath);
        var reporter = new TrainingReporter(Console.Out);
        var history = reporter.Run(
            epochs,
            handler => network.Train(
                train,
                split.Train.Labels,
                optimizer,
                epochs,
                batchSize,
                earlyStoppingThreshold: patience,
                lrScheduler: scheduler,
                progress: e =>
                {
                    handler(e);
                    metrics?.Write(e);
                },
                microbatchSize: microbatch,
                cancellationToken: CommandContext.Cancellation));
        metrics?.Complete();

        if (plotPath is not null)
        {
            TrainingPlot.Save(plotPath, history.Epochs);
            Console.WriteLine($"curves drawn to {plotPath}");
        }

        var (accuracy, _) = network.Evaluate(test, split.Test.Labels);
        var last = history.Epochs[^1];
        Console.WriteLine(FormattableString.Invariant($"trained {history.Epochs.Count} epoch(s); best epoch {history.BestEpoch + 1}, final train loss {last.TrainLoss:F4}"));
        Console.WriteLine(FormattableString.Invariant($"Test accuracy: {accuracy:F4}"));
        if (outPath is not null)
        {
            var metadata = new Dictionary<string, string>
            {
                ["data"] = dataSpec,
                ["label_column"] = labelColumn ?? string.Empty,
                ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
                ["test_fraction"] = testFraction.ToString("R", CultureInfo.InvariantCulture),
                ["classes"] = string.Join(',', split.Train.ClassNames ?? Enumerable.Range(0, split.Train.ClassCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()),
            };
            preprocessing.AddTo(metadata);
            ModelFile.Save(outPath, architecture, network.Parameters, metadata);
            Console.WriteLine($"model written to {outPath}");
        }

        return ExitCodes.Success;
    }

    private static NetworkArchitecture BuildArchitecture(ParseResult parse, LabeledData train)
    {
        var inputs = train.Features.Columns;
        var lossKind = parse.GetValue(Loss) is { } lossText ? NetworkArchitecture.ParseLoss(lossText) : (LossKind?)null;
        var binary = lossKind == LossKind.BinaryCrossEntropy || (lossKind is null && train.ClassCount == 2);
        var outputs = binary ? 1 : train.ClassCount;
        var sizes = parse.GetValue(Layers) is { } layersText ? OptionParsing.ParseSizes(layersText, "--layers") : [inputs, 128, outputs];
        if (sizes[0] != inputs)
        {
            throw new BadInputException($"--layers: the input size is {sizes[0]} but the data has {inputs} features");
        }

        var expectedOutputs = sizes[^1] == 1 && train.ClassCount == 2 ? 1 : train.ClassCount;
        if (sizes[^1] != expectedOutputs)
        {
            throw new BadInputException(
                $"--layers: the output size is {sizes[^1]} but the data has {train.ClassCount} classes (use {train.ClassCount}{(train.ClassCount == 2 ? " or 1" : string.Empty)})");
        }

        Activation[]? activations = null;
        if (parse.GetValue(Activations) is { } activationText)
        {
            activations = OptionParsing.ParseActivations(activationText, "--activations");
            if (activations.Length != sizes.Length - 1)
            {
                throw new BadInputException(
                    $"--activations: {activations.Length} given, --layers {string.Join(',', sizes)} has {sizes.Length - 1} dense layer(s)");
            }
        }

        try
        {
            return new NetworkArchitecture(sizes, activations, lossKind);
        }
        catch (BadInputException e)
        {
            throw new BadInputException($"--layers/--loss: {e.Message}", e);
        }
    }

    private static float[]? InitialParameters(ParseResult parse, NetworkArchitecture architecture)
    {
        if (parse.GetValue(Init) is not { } path)
        {
            return null;
        }

        var model = ModelFile.Load(path);
        if (!model.Architecture.Equals(architecture))
        {
            throw new BadInputException($"--init: '{path}' is a different model ({model.Architecture}), this run builds {architecture}");
        }

        return model.Parameters;
    }

    private static Optimizer CreateOptimizer(ParseResult parse)
    {
        var name = parse.GetValue(OptimizerName)!.Trim().ToLowerInvariant();
        var lr = parse.GetValue(LearningRate) is { } l ? OptionParsing.Positive(l, "--lr") : (double?)null;
        var decay = parse.GetValue(WeightDecay) is { } d ? OptionParsing.NonNegative(d, "--weight-decay") : (double?)null;
        var momentum = OptionParsing.Fraction(parse.GetValue(Momentum), "--momentum", allowZero: true);
        return name switch
        {
            "adam" => new AdamOptimizer(learningRate: lr ?? 0.001, regLambda: decay ?? 0.01),
            "sgd" => new SgdOptimizer(learningRate: lr ?? 0.001, momentum: momentum, regLambda: decay ?? 0.0),
            "adadelta" => new AdadeltaOptimizer(learningRate: lr ?? 1.0, regLambda: decay ?? 0.0),
            _ => throw new BadInputException($"--optimizer: unknown optimizer '{name}' (expected adam, sgd or adadelta)"),
        };
    }

    private static ILearningRateScheduler? CreateScheduler(ParseResult parse, Optimizer optimizer)
    {
        var name = parse.GetValue(Scheduler)!.Trim().ToLowerInvariant();
        if (name == "none")
        {
            return null;
        }

        var decay = OptionParsing.Positive(parse.GetValue(LrDecay), "--lr-decay");
        var period = OptionParsing.Positive(parse.GetValue(LrDecayEpoch), "--lr-decay-epoch");
        return name switch
        {
            "step" => new StepLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: period),
            "exp" => new ExponentialLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: period),
            "plateau" => new PlateauLRScheduler(new StepLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: period)),
            _ => throw new BadInputException($"--scheduler: unknown scheduler '{name}' (expected none, step, exp or plateau)"),
        };
    }
}
