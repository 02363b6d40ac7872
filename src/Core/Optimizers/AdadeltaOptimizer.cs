using SegaLearn.Compute;

namespace SegaLearn.Optimizers;

/// <summary>
/// Adadelta (Zeiler 2012), the seed's rule with the learning rate applied as in the paper and PyTorch:
/// <code>
/// E[g²]  = ρ·E[g²] + (1-ρ)·g²
/// Δx     = -√(E[Δx²] + ε) / √(E[g²] + ε) · g
/// E[Δx²] = ρ·E[Δx²] + (1-ρ)·Δx²
/// w      = w + lr·Δx - lr·λ·w        (λ = reg_lambda for weights, 0 for biases)
/// </code>
/// With the default lr 1.0 this is the original's update. Biases follow the same rule, without decay.
/// </summary>
public sealed class AdadeltaOptimizer : Optimizer
{
    private float[] _squaredGradients = [];
    private float[] _squaredUpdates = [];

    /// <param name="learningRate">Scale of Δx (default 1.0).</param>
    /// <param name="rho">Decay of the running averages (default 0.95).</param>
    /// <param name="epsilon">Conditioning constant (default 1e-6).</param>
    /// <param name="regLambda">Weight decay λ on weights (default 0).</param>
    public AdadeltaOptimizer(double learningRate = 1.0, double rho = 0.95, double epsilon = 1e-6, double regLambda = 0.0)
        : base(learningRate, regLambda)
    {
        ValidateFraction(rho, nameof(rho));
        ValidatePositive(epsilon, nameof(epsilon));
        Rho = rho;
        Epsilon = epsilon;
    }

    public double Rho { get; }

    public double Epsilon { get; }

    public override string Name => "adadelta";

    public override IReadOnlyList<KeyValuePair<string, float[]>> State =>
        [new("squared_gradients", _squaredGradients), new("squared_updates", _squaredUpdates)];

    protected override void EnsureState(int parameterCount)
    {
        if (_squaredGradients.Length != parameterCount)
        {
            _squaredGradients = new float[parameterCount];
            _squaredUpdates = new float[parameterCount];
        }
    }

    protected override void UpdateSegment(IComputeBackend backend, Span<float> w, ReadOnlySpan<float> g, int offset, float decay, GradientTransform transform, Span<float> mirror) =>
        backend.AdadeltaUpdate(
            w,
            g,
            _squaredGradients.AsSpan(offset, w.Length),
            _squaredUpdates.AsSpan(offset, w.Length),
            (float)LearningRate,
            (float)Rho,
            (float)Epsilon,
            decay,
            transform,
            mirror);
}
