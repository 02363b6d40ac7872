using System.Diagnostics;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Training;

namespace SegaLearn;

/// <summary>
/// A fully connected network, the seed's <c>BaseBackendNeuralNetwork</c>: built from layer sizes (ReLU hidden
/// layers, sigmoid + BCE for one output, softmax + cross-entropy otherwise), trained with mini-batches, inverted
/// dropout and L2 regularization. All parameters live in one flat buffer (see <see cref="ParameterLayout"/>).
/// </summary>
/// <remarks>
/// L2: the loss adds <c>reg_lambda·Σ‖W‖²</c> (weights only) as the seed reports it, and the gradient adds its exact
/// derivative <c>2·reg_lambda·W</c> (the original added <c>reg_lambda·W</c>, half the derivative of the loss it
/// printed). Gradients are those of the mean loss; the original divided by the batch size twice.
/// </remarks>
public sealed class NeuralNetwork
{
    private const ulong InitStream = 0x494E4954;
    private const ulong ShuffleStream = 0x53485546;
    private const int InferenceRows = 256;

    private readonly float[] _parameters;
    private ModelReplica? _inference;

    /// <param name="layerSizes">Input size, hidden sizes, output size (1 for binary).</param>
    /// <param name="dropoutRate">Inverted dropout on hidden layers during training (default 0.2).</param>
    /// <param name="regLambda">L2 strength on weights (default 0.01).</param>
    /// <param name="activations">One per dense layer; default ReLU hidden and sigmoid/softmax output.</param>
    /// <param name="loss">Default BCE-with-logits for one output, cross-entropy otherwise.</param>
    /// <param name="seed">Seeds initialization, shuffling and dropout; a random seed when null.</param>
    /// <param name="backend">Compute backend; <see cref="Backends.Current"/> when null.</param>
    public NeuralNetwork(
        IReadOnlyList<int> layerSizes,
        double dropoutRate = 0.2,
        double regLambda = 0.01,
        IReadOnlyList<Activation>? activations = null,
        LossKind? loss = null,
        ulong? seed = null,
        IComputeBackend? backend = null)
        : this(new NetworkArchitecture(layerSizes, activations, loss), null, dropoutRate, regLambda, seed, backend)
    {
    }

    /// <summary>A network with given parameters (e.g. loaded from a model file), laid out as <see cref="ParameterLayout"/>.</summary>
    public NeuralNetwork(
        NetworkArchitecture architecture,
        float[]? parameters,
        double dropoutRate = 0.2,
        double regLambda = 0.01,
        ulong? seed = null,
        IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (!(dropoutRate >= 0 && dropoutRate < 1))
        {
            throw new BadInputException($"dropout rate must be in [0, 1), got {dropoutRate}");
        }

        if (!double.IsFinite(regLambda) || regLambda < 0)
        {
            throw new BadInputException($"reg_lambda must be a finite number >= 0, got {regLambda}");
        }

        Architecture = architecture;
        Layout = new ParameterLayout(architecture.LayerSizes);
        DropoutRate = dropoutRate;
        RegLambda = regLambda;
        Seed = seed ?? (ulong)Random.Shared.NextInt64();
        Backend = backend ?? Backends.Current;
        if (parameters is null)
        {
            _parameters = new float[Layout.TotalCount];
            Initialize();
        }
        else
        {
            if (parameters.Length != Layout.TotalCount)
            {
                throw new BadInputException($"{parameters.Length} parameters given, {architecture} needs {Layout.TotalCount}");
            }

            _parameters = parameters;
        }
    }

    public NetworkArchitecture Architecture { get; }

    public ParameterLayout Layout { get; }

    public double DropoutRate { get; }

    public double RegLambda { get; }

    public ulong Seed { get; }

    public IComputeBackend Backend { get; set; }

    /// <summary>The flat parameter buffer (weights [in, out] then bias, per layer).</summary>
    public float[] Parameters => _parameters;

    /// <summary>
    /// Trains with mini-batches of <paramref name="batchSize"/> rows, reshuffled every epoch from the seed. Each
    /// batch is cut into microbatches of <paramref name="microbatchSize"/>; the engine sums their gradients in a fixed
    /// tree, so the result is the same bits on one core or many. After each epoch the loss and accuracy are computed
    /// (on the whole training set when <paramref name="evaluateTrainingSet"/>, and on the validation set if given),
    /// then the scheduler steps and early stopping checks the validation loss (training loss without validation data)
    /// with patience <paramref name="earlyStoppingThreshold"/> (0 turns it off). The best weights are restored at the end.
    /// With <paramref name="checkpoints"/>, the trainer state is saved every K steps and, when resuming, training picks up
    /// from the last checkpoint and ends with the same bits as an uninterrupted run.
    /// </summary>
    public TrainingHistory Train(
        Features x,
        int[] y,
        Optimizer? optimizer = null,
        int epochs = 100,
        int batchSize = 32,
        Features? xVal = null,
        int[]? yVal = null,
        int earlyStoppingThreshold = 10,
        ILearningRateScheduler? lrScheduler = null,
        Action<TrainingEvent>? progress = null,
        ITrainingEngine? engine = null,
        int microbatchSize = 32,
        bool evaluateTrainingSet = true,
        CheckpointOptions? checkpoints = null,
        CancellationToken cancellationToken = default)
    {
        CheckData(x, y, "training");
        if (xVal is not null || yVal is not null)
        {
            if (xVal is null || yVal is null)
            {
                throw new BadInputException("validation data needs both features and labels");
            }

            CheckData(xVal, yVal, "validation");
        }

        if (epochs <= 0)
        {
            throw new BadInputException($"--epochs must be a positive number, got {epochs}");
        }

        if (batchSize <= 0)
        {
            throw new BadInputException($"--batch-size must be a positive number, got {batchSize}");
        }

        if (microbatchSize <= 0)
        {
            throw new BadInputException($"--microbatch must be a positive number, got {microbatchSize}");
        }

        if (checkpoints is { EverySteps: <= 0 })
        {
            throw new BadInputException($"--checkpoint-every must be a positive number, got {checkpoints.EverySteps}");
        }

        if (earlyStoppingThreshold < 0)
        {
            throw new BadInputException($"--patience must be >= 0, got {earlyStoppingThreshold}");
        }

        optimizer ??= new AdamOptimizer();
        var ownsEngine = engine is null;
        engine ??= new LocalTrainingEngine();
        try
        {
            var effectiveBatch = Math.Min(batchSize, x.Rows);
            engine.Start(new TrainingJob(Architecture, x, y, Seed, DropoutRate, microbatchSize, effectiveBatch, Backend));
            return RunEpochs(x, y, xVal, yVal, optimizer, epochs, effectiveBatch, earlyStoppingThreshold, lrScheduler, progress, engine, evaluateTrainingSet, checkpoints, cancellationToken);
        }
        finally
        {
            if (ownsEngine)
            {
                engine.Dispose();
            }
        }
    }

    /// <summary>Accuracy and predicted classes (<c>p &gt; 0.5</c> for one output, argmax otherwise).</summary>
    public (double Accuracy, int[] Predictions) Evaluate(Features x, int[] y)
    {
        CheckData(x, y, "evaluation");
        var predictions = Predict(x);
        var correct = 0;
        for (var i = 0; i < predictions.Length; i++)
        {
            correct += predictions[i] == y[i] ? 1 : 0;
        }

        return (predictions.Length == 0 ? 0 : (double)correct / predictions.Length, predictions);
    }

    /// <summary>Predicted class per row.</summary>
    public int[] Predict(Features x)
    {
        var probabilities = PredictProbabilities(x);
        var classes = probabilities.GetLength(1);
        var predictions = new int[x.Rows];
        for (var i = 0; i < predictions.Length; i++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (probabilities[i, c] > probabilities[i, best])
                {
                    best = c;
                }
            }

            predictions[i] = classes == 2 && Architecture.OutputSize == 1 ? (probabilities[i, 1] > 0.5f ? 1 : 0) : best;
        }

        return predictions;
    }

    /// <summary>Class probabilities, rows × <see cref="NetworkArchitecture.ClassCount"/> (a binary model gives [1-p, p]).</summary>
    public float[,] PredictProbabilities(Features x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckColumns(x, "prediction");
        var outputs = Architecture.OutputSize;
        var result = new float[x.Rows, Architecture.ClassCount];
        var chunk = new float[InferenceRows * outputs];
        var replica = InferenceReplica();
        for (var start = 0; start < x.Rows; start += InferenceRows)
        {
            var count = Math.Min(InferenceRows, x.Rows - start);
            replica.Infer(_parameters, x, start, count, default, chunk);
            for (var i = 0; i < count; i++)
            {
                if (outputs == 1)
                {
                    result[start + i, 0] = 1f - chunk[i];
                    result[start + i, 1] = chunk[i];
                }
                else
                {
                    for (var c = 0; c < outputs; c++)
                    {
                        result[start + i, c] = chunk[i * outputs + c];
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Mean loss over the rows plus <c>reg_lambda·Σ‖W‖²</c>, as the seed's <c>calculate_loss</c>.</summary>
    public double CalculateLoss(Features x, int[] y)
    {
        CheckData(x, y, "loss");
        return Measure(x, y).Loss;
    }

    /// <summary><c>Σ‖W‖²</c> over every layer's weights (biases excluded).</summary>
    public double SumOfSquaredWeights()
    {
        double sum = 0;
        for (var l = 0; l < Layout.LayerCount; l++)
        {
            sum += Backend.SumOfSquares(Layout.Weights((ReadOnlySpan<float>)_parameters, l));
        }

        return sum;
    }

    /// <summary>
    /// Turns a tree-reduced gradient sum into the gradient of the mean regularized loss, in place: divides by the
    /// step's true sample count (so a short last batch is weighted correctly) and adds <c>2·reg_lambda·W</c>.
    /// </summary>
    public void FinishGradient(float[] gradient, int sampleCount)
    {
        var scale = 1f / sampleCount;
        var decay = (float)(2 * RegLambda);
        for (var l = 0; l < Layout.LayerCount; l++)
        {
            Backend.ScaleAdd(Layout.Weights(gradient.AsSpan(), l), scale, Layout.Weights((ReadOnlySpan<float>)_parameters, l), decay);
            Backend.Scale(Layout.Bias(gradient.AsSpan(), l), scale);
        }
    }

    private TrainingHistory RunEpochs(
        Features x,
        int[] y,
        Features? xVal,
        int[]? yVal,
        Optimizer optimizer,
        int epochs,
        int batchSize,
        int patience,
        ILearningRateScheduler? scheduler,
        Action<TrainingEvent>? progress,
        ITrainingEngine engine,
        bool evaluateTrainingSet,
        CheckpointOptions? checkpoints,
        CancellationToken cancellationToken)
    {
        var n = x.Rows;
        var order = new int[n];
        var gradient = new float[Layout.TotalCount];
        var stepsPerEpoch = (n + batchSize - 1) / batchSize;
        var state = checkpoints is { Resume: true } && File.Exists(checkpoints.FilePath)
            ? Resume(checkpoints.FilePath, optimizer, scheduler, progress)
            : new TrainerState();
        for (var epoch = state.NextEpoch; epoch < epochs && !state.StoppedEarly; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var learningRate = optimizer.LearningRate;
            new DeterministicRandom(Seed, ShuffleStream, (ulong)epoch).Permutation(order);
            for (var step = epoch == state.NextEpoch ? state.NextStep : 0; step < stepsPerEpoch; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = step * batchSize;
                var rows = new ReadOnlyMemory<int>(order, start, Math.Min(batchSize, n - start));
                var next = step + 1 < stepsPerEpoch
                    ? new ReadOnlyMemory<int>(order, start + batchSize, Math.Min(batchSize, n - start - batchSize))
                    : ReadOnlyMemory<int>.Empty;
                var scale = 1f / rows.Length;
                var l2 = (float)(2 * RegLambda);
                optimizer.BeginStep(Layout.TotalCount);
                var result = engine.Step(
                    new StepWork(epoch, step, rows, next),
                    _parameters,
                    state.Version,
                    gradient,
                    mirror => optimizer.UpdateRange(Backend, Layout, _parameters, gradient, scale, l2, 0, Layout.TotalCount, mirror),
                    (offset, length) => optimizer.UpdateRange(Backend, Layout, _parameters, gradient, scale, l2, offset, length));
                state.Version++;
                state.EpochLossSum += result.LossSum;
                progress?.Invoke(new StepCompleted(epoch, epochs, step, stepsPerEpoch, result.SampleCount, result.LossSum / result.SampleCount));
                if (checkpoints is not null && state.Version % checkpoints.EverySteps == 0 && step < stepsPerEpoch - 1)
                {
                    state.NextEpoch = epoch;
                    state.NextStep = step + 1;
                    SaveCheckpoint(checkpoints, state, optimizer, scheduler);
                }
            }

            var evaluationStart = clock.Elapsed;
            var (trainLoss, trainAccuracy) = evaluateTrainingSet
                ? Measure(x, y)
                : (state.EpochLossSum / n + RegLambda * SumOfSquaredWeights(), (double?)null);
            state.EpochLossSum = 0;
            double? valLoss = null, valAccuracy = null;
            if (xVal is not null && yVal is not null)
            {
                (var vl, var va) = Measure(xVal, yVal);
                (valLoss, valAccuracy) = (vl, va);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var metrics = new EpochMetrics(
                epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, learningRate, seconds, n / Math.Max(seconds, 1e-9), seconds - evaluationStart.TotalSeconds);
            state.History.Add(metrics);
            progress?.Invoke(new EpochCompleted(metrics, epochs));
            var monitored = valLoss ?? trainLoss;
            if (scheduler?.Step(epoch, monitored) is { } message)
            {
                progress?.Invoke(new TrainingMessage(message));
            }

            if (monitored < state.Best)
            {
                state.Best = monitored;
                state.BestEpoch = epoch;
                state.BestParameters ??= new float[_parameters.Length];
                _parameters.AsSpan().CopyTo(state.BestParameters);
                state.SinceBest = 0;
            }
            else
            {
                state.SinceBest++;
                if (patience > 0 && state.SinceBest >= patience)
                {
                    state.StoppedEarly = true;
                    progress?.Invoke(new TrainingMessage($"Early stopping at epoch {epoch + 1}"));
                }
            }

            if (checkpoints is not null && !state.StoppedEarly && state.Version / checkpoints.EverySteps > state.CheckpointedAt / checkpoints.EverySteps)
            {
                state.NextEpoch = epoch + 1;
                state.NextStep = 0;
                SaveCheckpoint(checkpoints, state, optimizer, scheduler);
            }
        }

        if (state.BestParameters is not null)
        {
            state.BestParameters.AsSpan().CopyTo(_parameters);
        }

        return new TrainingHistory(state.History, state.BestEpoch, state.StoppedEarly);
    }

    private void SaveCheckpoint(CheckpointOptions options, TrainerState state, Optimizer optimizer, ILearningRateScheduler? scheduler)
    {
        Directory.CreateDirectory(options.Directory);
        var plateau = scheduler as PlateauLRScheduler;
        new TrainingCheckpoint
        {
            Architecture = Architecture,
            Seed = Seed,
            NextEpoch = state.NextEpoch,
            NextStep = state.NextStep,
            ParameterVersion = state.Version,
            Parameters = _parameters,
            OptimizerName = optimizer.Name,
            OptimizerSteps = optimizer.StepCount,
            LearningRate = optimizer.LearningRate,
            OptimizerState = optimizer.State,
            PlateauBestLoss = plateau?.BestLoss,
            PlateauWait = plateau?.Wait ?? 0,
            BestLoss = state.Best,
            BestEpoch = state.BestEpoch,
            SinceBest = state.SinceBest,
            BestParameters = state.BestParameters,
            EpochLossSum = state.EpochLossSum,
            History = state.History,
        }.Save(options.FilePath);
        state.CheckpointedAt = state.Version;
    }

    private TrainerState Resume(string path, Optimizer optimizer, ILearningRateScheduler? scheduler, Action<TrainingEvent>? progress)
    {
        var checkpoint = TrainingCheckpoint.Load(path);
        if (!checkpoint.Architecture.Equals(Architecture))
        {
            throw new BadInputException($"{path}: the checkpoint is of a different model ({checkpoint.Architecture}), this run trains {Architecture}");
        }

        if (checkpoint.Seed != Seed || checkpoint.OptimizerName != optimizer.Name)
        {
            throw new BadInputException(
                $"{path}: the checkpoint was made with seed {checkpoint.Seed} and optimizer {checkpoint.OptimizerName}, this run uses seed {Seed} and {optimizer.Name}");
        }

        checkpoint.Parameters.AsSpan().CopyTo(_parameters);
        optimizer.Restore(checkpoint.OptimizerSteps, checkpoint.LearningRate, checkpoint.OptimizerState, _parameters.Length);
        if (scheduler is PlateauLRScheduler plateau && checkpoint.PlateauBestLoss is { } best)
        {
            plateau.Restore(best, checkpoint.PlateauWait);
        }

        progress?.Invoke(new TrainingMessage($"resumed from {path} at epoch {checkpoint.NextEpoch + 1}, step {checkpoint.NextStep + 1}"));
        return new TrainerState
        {
            NextEpoch = checkpoint.NextEpoch,
            NextStep = checkpoint.NextStep,
            Version = checkpoint.ParameterVersion,
            CheckpointedAt = checkpoint.ParameterVersion,
            Best = checkpoint.BestLoss,
            BestEpoch = checkpoint.BestEpoch,
            SinceBest = checkpoint.SinceBest,
            BestParameters = checkpoint.BestParameters,
            EpochLossSum = checkpoint.EpochLossSum,
            History = [.. checkpoint.History],
        };
    }

    /// <summary>Where the epoch loop stands; everything a checkpoint must hold besides parameters and optimizer.</summary>
    private sealed class TrainerState
    {
        public int NextEpoch { get; set; }

        public int NextStep { get; set; }

        public long Version { get; set; }

        public long CheckpointedAt { get; set; }

        public double Best { get; set; } = double.PositiveInfinity;

        public int BestEpoch { get; set; } = -1;

        public int SinceBest { get; set; }

        public float[]? BestParameters { get; set; }

        public double EpochLossSum { get; set; }

        public bool StoppedEarly { get; set; }

        public List<EpochMetrics> History { get; init; } = [];
    }

    private (double Loss, double? Accuracy) Measure(Features x, int[] y)
    {
        var outputs = Architecture.OutputSize;
        var chunk = new float[InferenceRows * outputs];
        var replica = InferenceReplica();
        double loss = 0;
        var correct = 0;
        for (var start = 0; start < x.Rows; start += InferenceRows)
        {
            var count = Math.Min(InferenceRows, x.Rows - start);
            loss += replica.Infer(_parameters, x, start, count, y, chunk);
            for (var i = 0; i < count; i++)
            {
                int predicted;
                if (outputs == 1)
                {
                    predicted = chunk[i] > 0.5f ? 1 : 0;
                }
                else
                {
                    predicted = 0;
                    for (var c = 1; c < outputs; c++)
                    {
                        if (chunk[i * outputs + c] > chunk[i * outputs + predicted])
                        {
                            predicted = c;
                        }
                    }
                }

                correct += predicted == y[start + i] ? 1 : 0;
            }
        }

        var rows = Math.Max(x.Rows, 1);
        return (loss / rows + RegLambda * SumOfSquaredWeights(), (double)correct / rows);
    }

    private ModelReplica InferenceReplica()
    {
        if (_inference is null || !ReferenceEquals(_inference.Backend, Backend))
        {
            _inference = new ModelReplica(Architecture, Backend, InferenceRows);
        }

        return _inference;
    }

    private void Initialize()
    {
        for (var l = 0; l < Layout.LayerCount; l++)
        {
            var fanIn = Layout.InputsOf(l);
            var scale = Math.Sqrt((Architecture.Activations[l].UsesHeInitialization ? 2.0 : 1.0) / fanIn);
            var random = new DeterministicRandom(Seed, InitStream, (ulong)l, 0);
            var weights = Layout.Weights(_parameters.AsSpan(), l);
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(random.NextGaussian() * scale);
            }
        }
    }

    private void CheckColumns(Features x, string what)
    {
        if (x.Columns != Architecture.InputSize)
        {
            throw new BadInputException($"the {what} data has {x.Columns} features, the model's input layer has {Architecture.InputSize}");
        }
    }

    private void CheckData(Features x, int[] y, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        CheckColumns(x, what);
        if (x.Rows != y.Length)
        {
            throw new BadInputException($"the {what} data has {x.Rows} rows but {y.Length} labels");
        }

        if (x.Rows == 0)
        {
            throw new BadInputException($"the {what} data has no rows");
        }

        var classes = Architecture.ClassCount;
        for (var i = 0; i < y.Length; i++)
        {
            if ((uint)y[i] >= (uint)classes)
            {
                throw new BadInputException(
                    $"{what} label {y[i]} at row {i + 1} is out of range: the output layer of size {Architecture.OutputSize} takes labels 0..{classes - 1}");
            }
        }
    }
}
