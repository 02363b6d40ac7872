namespace SegaLearn.Compute;

/// <summary>
/// How an optimizer kernel turns the gradient buffer g it reads into the gradient it applies:
/// <c>g·Scale + L2·w</c>, evaluated as two products and a sum (no fused multiply-add), exactly as
/// <see cref="IComputeBackend.ScaleAdd"/> would in a separate pass. The trainer passes the raw tree-reduced sum
/// with <c>Scale = 1/samples</c> and <c>L2 = 2·reg_lambda</c> (0 for biases), which saves that pass over every
/// parameter each step.
/// </summary>
public readonly record struct GradientTransform(float Scale, float L2)
{
    /// <summary>Applies g as it is (g·1 + 0·w).</summary>
    public static GradientTransform Identity => new(1f, 0f);
}
