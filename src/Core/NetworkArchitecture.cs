using System.Globalization;

namespace SegaLearn;

/// <summary>
/// What a network is, without its weights: layer sizes, one activation per dense layer, and the loss.
/// Built as in the seed: ReLU for hidden layers, then sigmoid when the output has one unit (binary,
/// BCE-with-logits) and softmax otherwise (cross-entropy).
/// </summary>
public sealed record NetworkArchitecture
{
    public NetworkArchitecture(IReadOnlyList<int> layerSizes, IReadOnlyList<Activation>? activations = null, LossKind? loss = null)
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

        var outputs = layerSizes[^1];
        var dense = layerSizes.Count - 1;
        if (activations is null)
        {
            var list = new Activation[dense];
            for (var i = 0; i < dense - 1; i++)
            {
                list[i] = Activation.ReLU;
            }

            list[^1] = outputs == 1 ? Activation.Sigmoid : Activation.Softmax;
            activations = list;
        }
        else if (activations.Count != dense)
        {
            throw new BadInputException(
                $"{activations.Count} activation(s) given for {dense} layer(s): layers {string.Join(',', layerSizes)} need {dense}");
        }

        var lossKind = loss ?? (outputs == 1 ? LossKind.BinaryCrossEntropy : LossKind.CrossEntropy);
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
    }

    public IReadOnlyList<int> LayerSizes { get; }

    public IReadOnlyList<Activation> Activations { get; }

    public LossKind Loss { get; }

    public int LayerCount => LayerSizes.Count - 1;

    public int InputSize => LayerSizes[0];

    public int OutputSize => LayerSizes[^1];

    /// <summary>Number of classes predicted: 2 for a single sigmoid output, else the output size.</summary>
    public int ClassCount => OutputSize == 1 ? 2 : OutputSize;

    /// <summary>
    /// True when the output activation is the loss's own link (softmax for cross-entropy, sigmoid for BCE):
    /// the loss then reads the pre-activation as logits and the gradient at the output is <c>p - y</c>.
    /// Any other output activation produces the logits the loss reads, and its derivative is chained in.
    /// </summary>
    public bool OutputIsFusedWithLoss =>
        (Loss == LossKind.CrossEntropy && Activations[^1].Kind == ActivationKind.Softmax)
        || (Loss == LossKind.BinaryCrossEntropy && Activations[^1].Kind == ActivationKind.Sigmoid);

    public string LayersText => string.Join(',', LayerSizes.Select(s => s.ToString(CultureInfo.InvariantCulture)));

    public string ActivationsText => string.Join(',', Activations);

    public string LossText => Loss == LossKind.CrossEntropy ? "cross-entropy" : "bce";

    public static LossKind ParseLoss(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cross-entropy" or "cross_entropy" or "crossentropy" or "ce" => LossKind.CrossEntropy,
        "bce" or "bce-with-logits" or "binary-cross-entropy" => LossKind.BinaryCrossEntropy,
        _ => throw new BadInputException($"unknown loss '{text}' (expected cross-entropy or bce)"),
    };

    public bool Equals(NetworkArchitecture? other) =>
        other is not null && Loss == other.Loss && LayerSizes.SequenceEqual(other.LayerSizes)
        && Activations.SequenceEqual(other.Activations);

    public override int GetHashCode() => HashCode.Combine(Loss, LayersText, ActivationsText);

    public override string ToString() => $"layers {LayersText}; activations {ActivationsText}; loss {LossText}";
}
