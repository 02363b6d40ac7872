namespace SegaLearn;

/// <summary>The losses of the seed module.</summary>
public enum LossKind
{
    /// <summary>Softmax of the logits, then <c>-Σ y·log(p + 1e-15) / m</c> with one-hot targets.</summary>
    CrossEntropy,

    /// <summary>Sigmoid of the logits, then <c>-mean(y·log(p + 1e-15) + (1-y)·log(1-p + 1e-15))</c>.</summary>
    BinaryCrossEntropy,
}
