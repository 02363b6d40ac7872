using System.Diagnostics;
using SegaLearn.Data;
using SegaLearn.Optimizers;

namespace SegaLearn.Training;

/// <summary>
/// Trains a <see cref="NeuralNetwork"/>: the epoch loop, early stopping, best-weights restore and checkpoints, as
/// <see cref="TrainerOptions"/> says. The network is only the model; the trainer changes its parameters in place.
/// </summary>
/// <remarks>
/// Each epoch reshuffles the rows from the network's seed and cuts them into batches; the engine sums each batch's
/// microbatch gradients in a fixed tree, the sum is divided by the batch's true sample count and the L2 derivative
/// <c>2·reg_lambda·W</c> is added inside the optimizer's update, so the result is the same bits on one core or many.
/// After each epoch the loss and accuracy are measured (training set, and validation set if given), the scheduler
/// steps with the monitored loss (validation loss when given, else training loss) and early stopping watches it.
/// </remarks>
public sealed class Trainer
{
    private const ulong ShuffleStream = 0x53485546;

    /// <param name="network">The model to train.</param>
    /// <param name="options">How to train; null means <c>new TrainerOptions()</c>, every default.</param>
    public Trainer(NeuralNetwork network, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        Options = options ?? new TrainerOptions();
    }

    public NeuralNetwork Network { get; }

    public TrainerOptions Options { get; }

    /// <summary>
    /// Trains on <paramref name="x"/> and <paramref name="y"/> and returns the per-epoch metrics; the network ends
    /// with the weights of its best epoch. Resumes from <see cref="TrainerOptions.Checkpoints"/> when asked and a
    /// checkpoint exists, ending with the same bits as an uninterrupted run.
    /// </summary>
    /// <param name="x">The training rows.</param>
    /// <param name="y">Their class indices (an <c>int[]</c>), or their values for a regression loss (a <c>float[]</c>, rows × outputs).</param>
    /// <exception cref="BadInputException">The data does not fit the network, or the checkpoint is of another run.</exception>
    public TrainingHistory Train(Features x, Targets y)
    {
        var network = Network;
        var options = Options;
        y = network.CheckData(x, y, "training");
        Targets? validation = null;
        if (options.ValidationFeatures is not null || options.ValidationLabels is not null)
        {
            if (options.ValidationFeatures is null || options.ValidationLabels is null)
            {
                throw new BadInputException("validation data needs both features and labels");
            }

            validation = network.CheckData(options.ValidationFeatures, options.ValidationLabels, "validation");
        }

        var optimizer = options.Optimizer ?? new AdamOptimizer();
        var engine = options.Engine ?? new LocalTrainingEngine();
        try
        {
            var batchSize = Math.Min(options.BatchSize, x.Rows);
            engine.Start(new TrainingJob(network.Architecture, x, y, network.Seed, network.DropoutRate, options.MicrobatchSize, batchSize, network.Backend, options.Wire));
            return new Run(network, options, optimizer, engine, batchSize).Epochs(x, y, validation);
        }
        finally
        {
            if (options.Engine is null)
            {
                engine.Dispose();
            }
        }
    }

    /// <summary>One call of <see cref="Train"/>: the loop and the state a checkpoint holds.</summary>
    private sealed class Run(NeuralNetwork network, TrainerOptions options, Optimizer optimizer, ITrainingEngine engine, int batchSize)
    {
        private readonly float[] _parameters = network.Parameters;

        private int _nextEpoch;
        private int _nextStep;
        private long _version;
        private long _checkpointedAt;
        private double _best = double.PositiveInfinity;
        private int _bestEpoch = -1;
        private int _sinceBest;
        private float[]? _bestParameters;
        private double _epochLossSum;
        private bool _stoppedEarly;
        private List<EpochMetrics> _history = [];

        public TrainingHistory Epochs(Features x, Targets y, Targets? yVal)
        {
            var n = x.Rows;
            var order = new int[n];
            var gradient = new float[_parameters.Length];
            var stepsPerEpoch = (n + batchSize - 1) / batchSize;
            var epochs = options.Epochs;
            var checkpoints = options.Checkpoints;
            var progress = options.Progress;
            if (checkpoints is { Resume: true } && File.Exists(checkpoints.FilePath))
            {
                Resume(checkpoints.FilePath);
            }

            for (var epoch = _nextEpoch; epoch < epochs && !_stoppedEarly; epoch++)
            {
                var clock = Stopwatch.StartNew();
                var learningRate = optimizer.LearningRate;
                new DeterministicRandom(network.Seed, ShuffleStream, (ulong)epoch).Permutation(order);
                for (var step = epoch == _nextEpoch ? _nextStep : 0; step < stepsPerEpoch; step++)
                {
                    options.CancellationToken.ThrowIfCancellationRequested();
                    var start = step * batchSize;
                    var rows = new ReadOnlyMemory<int>(order, start, Math.Min(batchSize, n - start));
                    var next = step + 1 < stepsPerEpoch
                        ? new ReadOnlyMemory<int>(order, start + batchSize, Math.Min(batchSize, n - start - batchSize))
                        : ReadOnlyMemory<int>.Empty;
                    var scale = 1f / rows.Length;
                    var l2 = (float)(2 * network.RegLambda);
                    var layout = network.Layout;
                    optimizer.BeginStep(layout.TotalCount);
                    var result = engine.Step(
                        new StepWork(epoch, step, rows, next),
                        _parameters,
                        _version,
                        gradient,
                        mirror => optimizer.UpdateRange(network.Backend, layout, _parameters, gradient, scale, l2, 0, layout.TotalCount, mirror),
                        (offset, length) => optimizer.UpdateRange(network.Backend, layout, _parameters, gradient, scale, l2, offset, length));
                    _version++;
                    _epochLossSum += result.LossSum;
                    progress?.Invoke(new StepCompleted(epoch, epochs, step, stepsPerEpoch, result.SampleCount, result.LossSum / result.SampleCount));
                    if (checkpoints is not null && _version % checkpoints.EverySteps == 0 && step < stepsPerEpoch - 1)
                    {
                        _nextEpoch = epoch;
                        _nextStep = step + 1;
                        SaveCheckpoint(checkpoints);
                    }
                }

                var evaluationStart = clock.Elapsed;
                var (trainLoss, trainAccuracy) = options.EvaluateTrainingSet
                    ? network.Measure(x, y)
                    : (_epochLossSum / n + network.RegLambda * network.SumOfSquaredWeights(), (double?)null);
                _epochLossSum = 0;
                double? valLoss = null, valAccuracy = null;
                if (options.ValidationFeatures is { } xVal && yVal is not null)
                {
                    (var vl, var va) = network.Measure(xVal, yVal);
                    (valLoss, valAccuracy) = (vl, va);
                }

                var seconds = clock.Elapsed.TotalSeconds;
                var metrics = new EpochMetrics(
                    epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, learningRate, seconds, n / Math.Max(seconds, 1e-9), seconds - evaluationStart.TotalSeconds);
                _history.Add(metrics);
                progress?.Invoke(new EpochCompleted(metrics, epochs));
                var monitored = valLoss ?? trainLoss;
                if (options.Scheduler?.Step(epoch, monitored) is { } message)
                {
                    progress?.Invoke(new TrainingMessage(message));
                }

                Watch(epoch, monitored);
                if (checkpoints is not null && !_stoppedEarly && _version / checkpoints.EverySteps > _checkpointedAt / checkpoints.EverySteps)
                {
                    _nextEpoch = epoch + 1;
                    _nextStep = 0;
                    SaveCheckpoint(checkpoints);
                }
            }

            _bestParameters?.AsSpan().CopyTo(_parameters);
            return new TrainingHistory(_history, _bestEpoch, _stoppedEarly);
        }

        /// <summary>Early stopping: keeps the best epoch's weights and stops after the patience without a new best.</summary>
        private void Watch(int epoch, double monitored)
        {
            if (monitored < _best)
            {
                _best = monitored;
                _bestEpoch = epoch;
                _bestParameters ??= new float[_parameters.Length];
                _parameters.AsSpan().CopyTo(_bestParameters);
                _sinceBest = 0;
                return;
            }

            _sinceBest++;
            if (options.EarlyStoppingPatience > 0 && _sinceBest >= options.EarlyStoppingPatience)
            {
                _stoppedEarly = true;
                options.Progress?.Invoke(new TrainingMessage($"Early stopping at epoch {epoch + 1}"));
            }
        }

        private void SaveCheckpoint(CheckpointOptions checkpoints)
        {
            Directory.CreateDirectory(checkpoints.Directory);
            new TrainingCheckpoint
            {
                Architecture = network.Architecture,
                Seed = network.Seed,
                NextEpoch = _nextEpoch,
                NextStep = _nextStep,
                ParameterVersion = _version,
                Parameters = _parameters,
                OptimizerName = optimizer.Name,
                OptimizerSteps = optimizer.StepCount,
                LearningRate = optimizer.LearningRate,
                OptimizerState = optimizer.State,
                SchedulerState = options.Scheduler?.CheckpointState ?? [],
                BestLoss = _best,
                BestEpoch = _bestEpoch,
                SinceBest = _sinceBest,
                BestParameters = _bestParameters,
                EpochLossSum = _epochLossSum,
                History = _history,
                Wire = options.Wire,
            }.Save(checkpoints.FilePath);
            _checkpointedAt = _version;
        }

        private void Resume(string path)
        {
            var checkpoint = TrainingCheckpoint.Load(path);
            if (!checkpoint.Architecture.Equals(network.Architecture))
            {
                throw new BadInputException($"{path}: the checkpoint is of a different model ({checkpoint.Architecture}), this run trains {network.Architecture}");
            }

            if (checkpoint.Seed != network.Seed || checkpoint.OptimizerName != optimizer.Name)
            {
                throw new BadInputException(
                    $"{path}: the checkpoint was made with seed {checkpoint.Seed} and optimizer {checkpoint.OptimizerName}, this run uses seed {network.Seed} and {optimizer.Name}");
            }

            if (checkpoint.Wire != options.Wire)
            {
                throw new BadInputException(
                    $"{path}: the checkpoint was trained with wire format {WireFormatNames.Name(checkpoint.Wire)}, this run uses {WireFormatNames.Name(options.Wire)}; resume with the same one");
            }

            checkpoint.Parameters.AsSpan().CopyTo(_parameters);
            optimizer.Restore(checkpoint.OptimizerSteps, checkpoint.LearningRate, checkpoint.OptimizerState, _parameters.Length);
            options.Scheduler?.RestoreCheckpointState(checkpoint.SchedulerState);
            options.Progress?.Invoke(new TrainingMessage($"resumed from {path} at epoch {checkpoint.NextEpoch + 1}, step {checkpoint.NextStep + 1}"));
            _nextEpoch = checkpoint.NextEpoch;
            _nextStep = checkpoint.NextStep;
            _version = checkpoint.ParameterVersion;
            _checkpointedAt = checkpoint.ParameterVersion;
            _best = checkpoint.BestLoss;
            _bestEpoch = checkpoint.BestEpoch;
            _sinceBest = checkpoint.SinceBest;
            _bestParameters = checkpoint.BestParameters;
            _epochLossSum = checkpoint.EpochLossSum;
            _history = [.. checkpoint.History];
        }
    }
}
