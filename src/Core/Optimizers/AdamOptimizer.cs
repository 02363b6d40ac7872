using SegaLearn.Compute;

namespace SegaLearn.Optimizers;

/// <summary>
/// Adam (Kingma &amp; Ba) with the seed's decoupled weight decay. For each parameter, at step t:
/// <code>
/// m = β1·m + (1-β1)·g
/// v = β2·v + (1-β2)·g²
/// m̂ = m / (1-β1^t),  v̂ = v / (1-β2^t)
/// w = w - lr·(m̂ / (√v̂ + ε) + λ·w)        (λ = reg_lambda for weights, 0 for biases)
/// </code>
/// Where the original differs on purpose: it advanced t once per layer (so bias correction ran ahead with depth),
/// skipped decay when a gradient was all zero and stepped biases with plain SGD. Here t counts optimizer steps,
/// biases have their own moments and no decay, and decay is always applied (scaled by lr, as the original code does).
/// </summary>
public sealed class AdamOptimizer : Optimizer
{
    private float[] _m = [];
    private float[] _v = [];

    /// <param name="learningRate">Step size α (default 0.001).</param>
    /// <param name="beta1">Decay of the first moment (default 0.9).</param>
    /// <param name="beta2">Decay of the second moment (default 0.999).</param>
    /// <param name="epsilon">Added to √v̂ (default 1e-8).</param>
    /// <param name="regLambda">Weight decay λ on weights (default 0.01, the seed's).</param>
    public AdamOptimizer(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double regLambda = 0.01)
        : base(learningRate, regLambda)
    {
        ValidateFraction(beta1, nameof(beta1));
        ValidateFraction(beta2, nameof(beta2));
        ValidatePositive(epsilon, nameof(epsilon));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Epsilon { get; }

    public override string Name => "adam";

    public override IReadOnlyList<KeyValuePair<string, float[]>> State => [new("m", _m), new("v", _v)];

    protected override void EnsureState(int parameterCount)
    {
        if (_m.Length != parameterCount)
        {
            _m = new float[parameterCount];
            _v = new float[parameterCount];
        }
    }

    protected override void UpdateSegment(IComputeBackend backend, Span<float> w, ReadOnlySpan<float> g, int offset, float decay, GradientTransform transform, Span<float> mirror)
    {
        var step = new AdamStep(
            (float)LearningRate,
            (float)Beta1,
            (float)Beta2,
            (float)Epsilon,
            decay,
            (float)(1.0 - Math.Pow(Beta1, StepCount)),
            (float)(1.0 - Math.Pow(Beta2, StepCount)));
        backend.AdamUpdate(w, g, _m.AsSpan(offset, w.Length), _v.AsSpan(offset, w.Length), step, transform, mirror);
    }
}
