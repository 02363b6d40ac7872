using System.Globalization;

namespace SegaLearn;

/// <summary>
/// What a network is, without its weights: layer sizes, one activation per dense layer, and the loss.
/// Built as in the seed: ReLU for hidden layers, then sigmoid when the output has one unit (binary,
/// BCE-with-logits) and softmax otherwise (cross-entropy); with a regression loss (MSE, MAE, Huber) the output is
/// linear, as the seed's regressor's.
/// </summary>
public sealed record NetworkArchitecture
{
    /// <summary>The Huber threshold when none is given, the original's.</summary>
    public const double DefaultHuberDelta = 1.0;

    /// <param name="layerSizes">Input size, hidden sizes, output size.</param>
    /// <param name="activations">One per dense layer; default ReLU hidden, then sigmoid (one output), softmax, or linear for a regression loss.</param>
    /// <param name="loss">Default BCE-with-logits for one output, cross-entropy otherwise.</param>
    /// <param name="huberDelta">The threshold δ of <see cref="LossKind.Huber"/>; finite and &gt; 0 (other losses ignore it).</param>
    public NetworkArchitecture(IReadOnlyList<int> layerSizes, IReadOnlyList<Activation>? activations = null, LossKind? loss = null, double huberDelta = DefaultHuberDelta)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count < 2)
        {
            throw new BadInputException($"layers need at least an input and an output size, got {layerSizes.Count} size(s)");
        }

        for (var i = 0; i < layerSizes.Count; i++)
        {
            if (layerSizes[i] <= 0)
            {
                throw new BadInputException($"layer size {i} is {layerSizes[i]}; every layer size must be positive");
            }
        }

        if (!double.IsFinite(huberDelta) || huberDelta <= 0)
        {
            throw new BadInputException($"{nameof(huberDelta)} must be a finite number > 0, got {huberDelta.ToString("R", CultureInfo.InvariantCulture)}");
        }

        var outputs = layerSizes[^1];
        var dense = layerSizes.Count - 1;
        var lossKind = loss ?? (outputs == 1 ? LossKind.BinaryCrossEntropy : LossKind.CrossEntropy);
        if (activations is null)
        {
            var list = new Activation[dense];
            for (var i = 0; i < dense - 1; i++)
            {
                list[i] = Activation.ReLU;
            }

            list[^1] = IsRegressionLoss(lossKind) ? Activation.Linear : outputs == 1 ? Activation.Sigmoid : Activation.Softmax;
            activations = list;
        }
        else if (activations.Count != dense)
        {
            throw new BadInputException(
                $"{activations.Count} activation(s) given for {dense} layer(s): layers {string.Join(',', layerSizes)} need {dense}");
        }

        if (lossKind == LossKind.BinaryCrossEntropy && outputs != 1)
        {
            throw new BadInputException($"the bce loss needs an output layer of size 1, got {outputs}");
        }

        if (lossKind == LossKind.CrossEntropy && outputs < 2)
        {
            throw new BadInputException("the cross-entropy loss needs an output layer of at least 2 classes; use bce for one output");
        }

        LayerSizes = layerSizes.ToArray();
        Activations = activations.ToArray();
        Loss = lossKind;
        HuberDelta = lossKind == LossKind.Huber ? huberDelta : DefaultHuberDelta;
    }

    public IReadOnlyList<int> LayerSizes { get; }

    public IReadOnlyList<Activation> Activations { get; }

    public LossKind Loss { get; }

    /// <summary>The threshold δ of a <see cref="LossKind.Huber"/> loss (<see cref="DefaultHuberDelta"/> for every other loss).</summary>
    public double HuberDelta { get; }

    /// <summary>Whether the loss is a regression loss (MSE, MAE, Huber): targets are real values, one per output.</summary>
    public bool IsRegression => IsRegressionLoss(Loss);

    public int LayerCount => LayerSizes.Count - 1;

    public int InputSize => LayerSizes[0];

    public int OutputSize => LayerSizes[^1];

    /// <summary>Number of classes predicted: 2 for a single sigmoid output, else the output size; 0 for regression.</summary>
    public int ClassCount => IsRegression ? 0 : OutputSize == 1 ? 2 : OutputSize;

    /// <summary>
    /// True when the output activation is the loss's own link (softmax for cross-entropy, sigmoid for BCE):
    /// the loss then reads the pre-activation as logits and the gradient at the output is <c>p - y</c>.
    /// Any other output activation produces the logits (or, for regression, the predictions) the loss reads, and its
    /// derivative is chained in.
    /// </summary>
    public bool OutputIsFusedWithLoss =>
        (Loss == LossKind.CrossEntropy && Activations[^1].Kind == ActivationKind.Softmax)
        || (Loss == LossKind.BinaryCrossEntropy && Activations[^1].Kind == ActivationKind.Sigmoid);

    public string LayersText => string.Join(',', LayerSizes.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    public string ActivationsText => string.Join(',', Activations);

    /// <summary>
    /// The loss's name as model files, checkpoints and job offers store it: <c>cross-entropy</c>, <c>bce</c>,
    /// <c>mse</c>, <c>mae</c>, <c>huber</c>, or <c>huber:δ</c> when δ is not <see cref="DefaultHuberDelta"/>
    /// (round-trip exact; read back by <see cref="ParseLoss(string, out double)"/>).
    /// </summary>
    public string LossText => Loss switch
    {
        LossKind.CrossEntropy => "cross-entropy",
        LossKind.BinaryCrossEntropy => "bce",
        LossKind.MeanSquaredError => "mse",
        LossKind.MeanAbsoluteError => "mae",
        _ when HuberDelta == DefaultHuberDelta => "huber",
        _ => "huber:" + HuberDelta.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Whether <paramref name="loss"/> is a regression loss (MSE, MAE, Huber).</summary>
    public static bool IsRegressionLoss(LossKind loss) => loss is LossKind.MeanSquaredError or LossKind.MeanAbsoluteError or LossKind.Huber;

    /// <summary>Parses a loss name: <c>cross-entropy</c>, <c>bce</c>, <c>mse</c>, <c>mae</c> or <c>huber</c> (case-insensitive, with a few aliases).</summary>
    public static LossKind ParseLoss(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "cross-entropy" or "cross_entropy" or "crossentropy" or "ce" => LossKind.CrossEntropy,
            "bce" or "bce-with-logits" or "binary-cross-entropy" => LossKind.BinaryCrossEntropy,
            "mse" or "mean-squared-error" or "mean_squared_error" => LossKind.MeanSquaredError,
            "mae" or "mean-absolute-error" or "mean_absolute_error" => LossKind.MeanAbsoluteError,
            "huber" => LossKind.Huber,
            _ => throw new BadInputException($"unknown loss '{text}' (expected cross-entropy, bce, mse, mae or huber)"),
        };
    }

    /// <summary>Parses a <see cref="LossText"/>: a loss name, or <c>huber:δ</c> with its threshold.</summary>
    public static LossKind ParseLoss(string text, out double huberDelta)
    {
        ArgumentNullException.ThrowIfNull(text);
        huberDelta = DefaultHuberDelta;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return ParseLoss(text);
        }

        var kind = ParseLoss(text[..colon]);
        if (kind != LossKind.Huber
            || !double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out huberDelta))
        {
            throw new BadInputException($"unknown loss '{text}' (only huber takes a threshold, as huber:0.5)");
        }

        return kind;
    }

    public bool Equals(NetworkArchitecture? other) =>
        other is not null && Loss == other.Loss && HuberDelta.Equals(other.HuberDelta) && LayerSizes.SequenceEqual(other.LayerSizes)
        && Activations.SequenceEqual(other.Activations);

    public override int GetHashCode() => HashCode.Combine(Loss, HuberDelta, LayersText, ActivationsText);

    public override string ToString() => $"layers {LayersText}; activations {ActivationsText}; loss {LossText}";
}
