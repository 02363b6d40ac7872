using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

/// <summary>The trainer apart from the model: its options record, its messages, and schedulers' checkpoint state through one interface.</summary>
public sealed class TrainerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("segalearn-trainer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (DenseFeatures X, int[] Y) Data()
    {
        var random = new DeterministicRandom(8);
        var x = new float[60 * 4];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        return (new DenseFeatures(x, 60, 4), Enumerable.Range(0, 60).Select(i => i % 3).ToArray());
    }

    private static NeuralNetwork Network() => new([4, 5, 3], dropoutRate: 0.25, regLambda: 0.01, seed: 9, backend: new ReferenceBackend());

    [Fact]
    public void Trainer_should_train_to_the_same_bits_as_the_seed_style_Train_call()
    {
        var (x, y) = Data();
        var viaModel = Network();
        var optimizer = new SgdOptimizer(learningRate: 0.05, momentum: 0.9);
        var modelHistory = viaModel.Train(x, y, optimizer, epochs: 4, batchSize: 16, microbatchSize: 8, lrScheduler: new StepLRScheduler(optimizer, 0.5, 2));

        var viaTrainer = Network();
        var second = new SgdOptimizer(learningRate: 0.05, momentum: 0.9);
        var history = new Trainer(viaTrainer, new TrainerOptions
        {
            Optimizer = second,
            Epochs = 4,
            BatchSize = 16,
            MicrobatchSize = 8,
            Scheduler = new StepLRScheduler(second, 0.5, 2),
        }).Train(x, y);

        Assert.Equal(viaModel.Parameters, viaTrainer.Parameters);
        Assert.Equal(modelHistory.Epochs.Select(e => e.TrainLoss), history.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(0.025, second.LearningRate, 15);
    }

    [Theory]
    [InlineData(nameof(TrainerOptions.Epochs), 0, "Epochs must be >= 1, got 0")]
    [InlineData(nameof(TrainerOptions.BatchSize), -2, "BatchSize must be >= 1, got -2")]
    [InlineData(nameof(TrainerOptions.MicrobatchSize), 0, "MicrobatchSize must be >= 1, got 0")]
    [InlineData(nameof(TrainerOptions.EarlyStoppingPatience), -1, "EarlyStoppingPatience must be >= 0, got -1")]
    public void TrainerOptions_should_name_the_property_when_a_value_is_out_of_range(string property, int value, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => property switch
        {
            nameof(TrainerOptions.Epochs) => new TrainerOptions { Epochs = value },
            nameof(TrainerOptions.BatchSize) => new TrainerOptions { BatchSize = value },
            nameof(TrainerOptions.MicrobatchSize) => new TrainerOptions { MicrobatchSize = value },
            _ => new TrainerOptions { EarlyStoppingPatience = value },
        });
        Assert.Equal(property, error.ParamName);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_should_name_the_api_parameter_not_a_command_line_flag_when_epochs_is_zero()
    {
        var (x, y) = Data();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Network().Train(x, y, epochs: 0));
        Assert.Equal(nameof(TrainerOptions.Epochs), error.ParamName);
        Assert.DoesNotContain("--", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckpointOptions_should_refuse_fewer_than_one_step_between_checkpoints()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointOptions(_directory, 0));
        Assert.Equal(nameof(CheckpointOptions.EverySteps), error.ParamName);
    }

    [Fact]
    public void Plateau_checkpoint_state_should_restore_its_best_loss_and_wait()
    {
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var plateau = new PlateauLRScheduler(new StepLRScheduler(optimizer), patience: 4, threshold: 0.1);
        plateau.Step(0, 2.0);
        plateau.Step(1, 1.95);
        plateau.Step(2, 1.97);

        var restored = new PlateauLRScheduler(new StepLRScheduler(new AdamOptimizer()), patience: 4, threshold: 0.1);
        restored.RestoreCheckpointState(plateau.CheckpointState);

        Assert.Equal([new("best_loss", 2.0), new("wait", 2.0)], plateau.CheckpointState);
        Assert.Equal((2.0, 2), (restored.BestLoss, restored.Wait));
        Assert.Empty(new StepLRScheduler(optimizer).CheckpointState);
        Assert.Empty(new ExponentialLRScheduler(optimizer).CheckpointState);
    }

    [Fact]
    public void Plateau_should_start_fresh_from_a_checkpoint_state_without_its_names()
    {
        var plateau = new PlateauLRScheduler(new StepLRScheduler(new AdamOptimizer()));
        plateau.RestoreCheckpointState([new("other", 3.0)]);
        Assert.Equal((double.PositiveInfinity, 0), (plateau.BestLoss, plateau.Wait));
    }

    [Fact]
    public void Resume_should_hand_any_schedulers_checkpoint_state_back_to_it()
    {
        var (x, y) = Data();
        var options = new CheckpointOptions(_directory, 2, Resume: true);
        using var stop = new CancellationTokenSource();
        var steps = 0;

        // 60 rows in batches of 16: 4 steps an epoch. Cancelled in the 3rd epoch, after the checkpoint of step 10.
        Assert.Throws<OperationCanceledException>(() => new Trainer(Network(), new TrainerOptions
        {
            Epochs = 5,
            BatchSize = 16,
            EarlyStoppingPatience = 0,
            Scheduler = new CountingScheduler(),
            Checkpoints = options,
            CancellationToken = stop.Token,
            Progress = e =>
            {
                if (e is StepCompleted && ++steps == 11)
                {
                    stop.Cancel();
                }
            },
        }).Train(x, y));

        var resumed = new CountingScheduler();
        new Trainer(Network(), new TrainerOptions { Epochs = 5, BatchSize = 16, EarlyStoppingPatience = 0, Scheduler = resumed, Checkpoints = options }).Train(x, y);

        Assert.Equal(2, resumed.RestoredCalls);
        Assert.Equal(5, resumed.Calls);
    }

    [Fact]
    public void Trainer_should_report_the_epoch_loss_as_the_mean_data_loss_plus_the_L2_term_when_it_does_not_measure_the_training_set_again()
    {
        // A learning rate so small that no weight moves (the zero biases move by 1e-31): every step's loss is the loss at the start.
        var (x, y) = Data();
        var network = new NeuralNetwork([4, 5, 3], dropoutRate: 0, regLambda: 0.05, seed: 9, backend: new ReferenceBackend());
        var expected = network.CalculateLoss(x, Targets.FromClasses(y));
        var before = network.Parameters.ToArray();

        var history = new Trainer(network, new TrainerOptions { Optimizer = new SgdOptimizer(learningRate: 1e-30), Epochs = 1, BatchSize = 16, EvaluateTrainingSet = false }).Train(x, y);

        Assert.All(network.Parameters.ToArray().Zip(before), pair => Assert.True(Math.Abs(pair.First - pair.Second) < 1e-20));
        Assert.Equal(expected, history.Epochs[0].TrainLoss, expected * 1e-6);
    }

    [Theory]
    [InlineData(2, 3, 2, 0, 2)] // the step-2 checkpoint, in the middle of the first epoch
    [InlineData(2, 5, 4, 1, 0)] // step 4 is the epoch's last: saved at the epoch's end, after its metrics, as "epoch 2, step 1"
    [InlineData(3, 5, 3, 0, 3)] // step 3 was saved mid-epoch, and the epoch's end (step 4) is not 3 steps later
    public void Checkpoints_should_be_saved_every_N_steps_and_resume_where_they_were_saved(int everySteps, int stopAfter, long version, int nextEpoch, int nextStep)
    {
        // 60 rows in batches of 16: 4 steps an epoch.
        var (x, y) = Data();
        var options = new CheckpointOptions(_directory, everySteps, Resume: true);
        using var stop = new CancellationTokenSource();
        var steps = 0;
        Assert.Throws<OperationCanceledException>(() => new Trainer(Network(), new TrainerOptions
        {
            Epochs = 3,
            BatchSize = 16,
            EarlyStoppingPatience = 0,
            Checkpoints = options,
            CancellationToken = stop.Token,
            Progress = e =>
            {
                if (e is StepCompleted && ++steps == stopAfter)
                {
                    stop.Cancel();
                }
            },
        }).Train(x, y));

        var saved = TrainingCheckpoint.Load(options.FilePath);
        Assert.Equal((version, nextEpoch, nextStep), (saved.ParameterVersion, saved.NextEpoch, saved.NextStep));

        var messages = new List<string>();
        new Trainer(Network(), new TrainerOptions
        {
            Epochs = 3,
            BatchSize = 16,
            EarlyStoppingPatience = 0,
            Checkpoints = options,
            Progress = e =>
            {
                if (e is TrainingMessage message)
                {
                    messages.Add(message.Text);
                }
            },
        }).Train(x, y);
        Assert.Contains($"resumed from {options.FilePath} at epoch {nextEpoch + 1}, step {nextStep + 1}", messages);
    }

    [Fact]
    public void Resume_should_refuse_a_checkpoint_made_with_another_seed()
    {
        var (x, y) = Data();
        var options = new CheckpointOptions(_directory, 1, Resume: true);
        new Trainer(Network(), new TrainerOptions { Epochs = 1, BatchSize = 16, Checkpoints = options }).Train(x, y);
        var other = new NeuralNetwork([4, 5, 3], dropoutRate: 0.25, regLambda: 0.01, seed: 10, backend: new ReferenceBackend());

        var error = Assert.Throws<BadInputException>(() => new Trainer(other, new TrainerOptions { Epochs = 2, BatchSize = 16, Checkpoints = options }).Train(x, y));

        Assert.Equal($"{options.FilePath}: the checkpoint was made with seed 9 and optimizer adam, this run uses seed 10 and adam", error.Message);
    }

    [Fact]
    public void Trainer_should_refuse_validation_features_without_labels()
    {
        var (x, y) = Data();

        var error = Assert.Throws<BadInputException>(() => new Trainer(Network(), new TrainerOptions { Epochs = 1, ValidationFeatures = x }).Train(x, y));

        Assert.Equal("validation data needs both features and labels", error.Message);
    }

    /// <summary>A scheduler of the caller's own, which the trainer knows only through the interface.</summary>
    private sealed class CountingScheduler : ILearningRateScheduler
    {
        public int Calls { get; private set; }

        public int RestoredCalls { get; private set; } = -1;

        public IReadOnlyList<KeyValuePair<string, double>> CheckpointState => [new("calls", Calls)];

        public string? Step(int epoch, double loss)
        {
            Calls++;
            return null;
        }

        public void RestoreCheckpointState(IReadOnlyList<KeyValuePair<string, double>> state)
        {
            Calls = (int)state.Single(p => p.Key == "calls").Value;
            RestoredCalls = Calls;
        }
    }
}
