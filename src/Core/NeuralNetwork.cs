using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Metrics;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Training;

namespace SegaLearn;

/// <summary>
/// A fully connected network, the seed's <c>BaseBackendNeuralNetwork</c>: built from layer sizes (ReLU hidden
/// layers, sigmoid + BCE for one output, softmax + cross-entropy otherwise, or a linear output with MSE, MAE or Huber
/// for regression), trained with mini-batches, inverted dropout and L2 regularization by a <see cref="Trainer"/>.
/// All parameters live in one flat buffer (see <see cref="ParameterLayout"/>).
/// </summary>
/// <remarks>
/// L2: the loss adds <c>reg_lambda·Σ‖W‖²</c> (weights only) as the seed reports it, and the gradient adds its exact
/// derivative <c>2·reg_lambda·W</c> (the original added <c>reg_lambda·W</c>, half the derivative of the loss it
/// printed). Gradients are those of the mean loss; the original divided by the batch size twice.
/// </remarks>
public sealed class NeuralNetwork
{
    private const ulong InitStream = 0x494E4954;
    private const int InferenceRows = 256;

    private readonly float[] _parameters;
    private ModelReplica? _inference;

    /// <param name="layerSizes">Input size, hidden sizes, output size (1 for binary).</param>
    /// <param name="dropoutRate">Inverted dropout on hidden layers during training (default 0.2).</param>
    /// <param name="regLambda">L2 strength on weights (default 0.01).</param>
    /// <param name="activations">One per dense layer; default ReLU hidden and sigmoid/softmax output.</param>
    /// <param name="loss">Default BCE-with-logits for one output, cross-entropy otherwise; MSE, MAE or Huber make a regressor.</param>
    /// <param name="seed">Seeds initialization, shuffling and dropout; a random seed when null.</param>
    /// <param name="backend">Compute backend; <see cref="Backends.Current"/> when null.</param>
    /// <param name="huberDelta">The threshold of a <see cref="LossKind.Huber"/> loss (default 1.0).</param>
    public NeuralNetwork(
        IReadOnlyList<int> layerSizes,
        double dropoutRate = 0.2,
        double regLambda = 0.01,
        IReadOnlyList<Activation>? activations = null,
        LossKind? loss = null,
        ulong? seed = null,
        IComputeBackend? backend = null,
        double huberDelta = NetworkArchitecture.DefaultHuberDelta)
        : this(new NetworkArchitecture(layerSizes, activations, loss, huberDelta), null, dropoutRate, regLambda, seed, backend)
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
            throw new BadInputException($"{nameof(dropoutRate)} must be in [0, 1), got {dropoutRate}");
        }

        if (!double.IsFinite(regLambda) || regLambda < 0)
        {
            throw new BadInputException($"{nameof(regLambda)} must be a finite number >= 0, got {regLambda}");
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
    /// The seed's <c>train</c>: trains this network with a <see cref="Trainer"/> whose <see cref="TrainerOptions"/> take
    /// these arguments (same names, same defaults; <paramref name="earlyStoppingThreshold"/> is
    /// <see cref="TrainerOptions.EarlyStoppingPatience"/> and <paramref name="lrScheduler"/> is
    /// <see cref="TrainerOptions.Scheduler"/>). See <see cref="Trainer.Train"/> for what happens. <paramref name="y"/> is
    /// an <c>int[]</c> of class indices, or a <c>float[]</c> of values for a regression loss.
    /// </summary>
    public TrainingHistory Train(
        Features x,
        Targets y,
        Optimizer? optimizer = null,
        int epochs = 100,
        int batchSize = 32,
        Features? xVal = null,
        Targets? yVal = null,
        int earlyStoppingThreshold = 10,
        ILearningRateScheduler? lrScheduler = null,
        Action<TrainingEvent>? progress = null,
        ITrainingEngine? engine = null,
        int microbatchSize = 32,
        bool evaluateTrainingSet = true,
        CheckpointOptions? checkpoints = null,
        CancellationToken cancellationToken = default,
        WireFormat wire = WireFormat.Float32) =>
        new Trainer(this, new TrainerOptions
        {
            Optimizer = optimizer,
            Epochs = epochs,
            BatchSize = batchSize,
            ValidationFeatures = xVal,
            ValidationLabels = yVal,
            EarlyStoppingPatience = earlyStoppingThreshold,
            Scheduler = lrScheduler,
            Progress = progress,
            Engine = engine,
            MicrobatchSize = microbatchSize,
            EvaluateTrainingSet = evaluateTrainingSet,
            Checkpoints = checkpoints,
            CancellationToken = cancellationToken,
            Wire = wire,
        }).Train(x, y);

    /// <summary>Accuracy and predicted classes (<c>p &gt; 0.5</c> for one output, argmax otherwise).</summary>
    public (double Accuracy, int[] Predictions) Evaluate(Features x, int[] y)
    {
        CheckClassifier(nameof(EvaluateRegression));
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
        CheckClassifier(nameof(PredictValues));
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

    /// <summary>A regression model's predictions, rows × outputs (the output layer's values).</summary>
    /// <exception cref="InvalidOperationException">The model is a classifier (use <see cref="PredictProbabilities"/>).</exception>
    public float[,] PredictValues(Features x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!Architecture.IsRegression)
        {
            throw new InvalidOperationException($"a classifier (loss {Architecture.LossText}) predicts classes: use {nameof(Predict)} or {nameof(PredictProbabilities)}");
        }

        CheckColumns(x, "prediction");
        var outputs = Architecture.OutputSize;
        var result = new float[x.Rows, outputs];
        var chunk = new float[InferenceRows * outputs];
        var replica = InferenceReplica();
        for (var start = 0; start < x.Rows; start += InferenceRows)
        {
            var count = Math.Min(InferenceRows, x.Rows - start);
            replica.Infer(_parameters, x, start, count, null, chunk);
            for (var i = 0; i < count * outputs; i++)
            {
                result[start + (i / outputs), i % outputs] = chunk[i];
            }
        }

        return result;
    }

    /// <summary>
    /// A regression model's mean squared error, mean absolute error and R² on <paramref name="y"/> (rows × outputs
    /// values, row-major), with the predictions (see <see cref="RegressionReport"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is a classifier (use <see cref="Evaluate"/>).</exception>
    public (RegressionReport Report, float[,] Predictions) EvaluateRegression(Features x, float[] y)
    {
        var predictions = PredictValues(x);
        CheckData(x, y, "evaluation");
        var flat = new float[predictions.Length];
        Buffer.BlockCopy(predictions, 0, flat, 0, flat.Length * sizeof(float));
        return (RegressionReport.Compute(y, flat, Architecture.OutputSize), predictions);
    }

    /// <summary>Mean loss over the rows plus <c>reg_lambda·Σ‖W‖²</c>, as the seed's <c>calculate_loss</c>.</summary>
    public double CalculateLoss(Features x, Targets y)
    {
        return Measure(x, CheckData(x, y, "loss")).Loss;
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

    /// <summary>
    /// Mean regularized loss (as <see cref="CalculateLoss"/>) and accuracy (null for regression) over the rows; the
    /// trainer's per-epoch figures.
    /// </summary>
    internal (double Loss, double? Accuracy) Measure(Features x, Targets y)
    {
        var outputs = Architecture.OutputSize;
        var chunk = new float[InferenceRows * outputs];
        var replica = InferenceReplica();
        var labels = y.IsRegression ? null : y.Classes;
        double loss = 0;
        var correct = 0;
        for (var start = 0; start < x.Rows; start += InferenceRows)
        {
            var count = Math.Min(InferenceRows, x.Rows - start);
            loss += replica.Infer(_parameters, x, start, count, y, chunk);
            for (var i = 0; labels is not null && i < count; i++)
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

                correct += predicted == labels[start + i] ? 1 : 0;
            }
        }

        var rows = Math.Max(x.Rows, 1);
        return (loss / rows + RegLambda * SumOfSquaredWeights(), labels is null ? null : (double)correct / rows);
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

    /// <summary>
    /// Checks data against the model (columns, one label per row, class labels in range, regression values finite and
    /// as many per row as outputs) with messages naming <paramref name="what"/>. Returns the targets with one row per
    /// data row: a flat <c>float[]</c> (one value per row when it converted) is cut into rows of the model's outputs.
    /// </summary>
    internal Targets CheckData(Features x, Targets y, string what)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        CheckColumns(x, what);
        if (y.IsRegression != Architecture.IsRegression)
        {
            throw new BadInputException(Architecture.IsRegression
                ? $"the {what} labels are class indices (int), the model's loss {Architecture.LossText} needs values (float)"
                : $"the {what} labels are values (float), the model's loss {Architecture.LossText} needs class indices (int)");
        }

        if (y.IsRegression && y.Width != Architecture.OutputSize && y.Values.Length % Architecture.OutputSize == 0)
        {
            y = Targets.FromValues(y.Values, Architecture.OutputSize);
        }

        if (x.Rows != y.Rows || y.Width != (y.IsRegression ? Architecture.OutputSize : 1))
        {
            throw new BadInputException(y.IsRegression
                ? $"the {what} data has {x.Rows} rows but {y.Values.Length} values; the model's {Architecture.OutputSize} output(s) need {x.Rows * Architecture.OutputSize}"
                : $"the {what} data has {x.Rows} rows but {y.Rows} labels");
        }

        if (x.Rows == 0)
        {
            throw new BadInputException($"the {what} data has no rows");
        }

        if (y.IsRegression)
        {
            var values = y.Values;
            for (var i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    throw new BadInputException($"{what} value {values[i]} at row {(i / y.Width) + 1} is not finite");
                }
            }

            return y;
        }

        var labels = y.Classes;
        var classes = Architecture.ClassCount;
        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new BadInputException(
                    $"{what} label {labels[i]} at row {i + 1} is out of range: the output layer of size {Architecture.OutputSize} takes labels 0..{classes - 1}");
            }
        }

        return y;
    }

    private void CheckClassifier(string instead)
    {
        if (Architecture.IsRegression)
        {
            throw new InvalidOperationException($"a regression model (loss {Architecture.LossText}) predicts values: use {instead}");
        }
    }
}
