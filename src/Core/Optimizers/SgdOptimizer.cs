using SegaLearn.Compute;

namespace SegaLearn.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, the seed's form:
/// <code>
/// v = momentum·v - lr·g
/// w = w + v - lr·λ·w        (λ = reg_lambda for weights, 0 for biases; w on the right is the value before the step)
/// </code>
/// Where the original differs on purpose: it stepped biases as <c>b -= lr·db</c> without momentum; here biases
/// get momentum too (and never decay), as in PyTorch. With momentum 0 the velocity buffer is neither read nor
/// written (it stays 0, so <c>v = 0 - lr·g</c>, the same bits): like PyTorch, plain SGD streams one array fewer.
/// </summary>
public sealed class SgdOptimizer : Optimizer
{
    private float[] _velocity = [];

    /// <param name="learningRate">Step size (default 0.001, the seed's).</param>
    /// <param name="momentum">Momentum in [0, 1) (default 0).</param>
    /// <param name="regLambda">Weight decay λ on weights (default 0).</param>
    public SgdOptimizer(double learningRate = 0.001, double momentum = 0.0, double regLambda = 0.0)
        : base(learningRate, regLambda)
    {
        ValidateFraction(momentum, nameof(momentum));
        Momentum = momentum;
    }

    public double Momentum { get; }

    public override string Name => "sgd";

    public override IReadOnlyList<KeyValuePair<string, float[]>> State => [new("velocity", _velocity)];

    protected override void EnsureState(int parameterCount)
    {
        if (_velocity.Length != parameterCount)
        {
            _velocity = new float[parameterCount];
        }
    }

    protected override void UpdateSegment(IComputeBackend backend, Span<float> w, ReadOnlySpan<float> g, int offset, float decay, GradientTransform transform, Span<float> mirror) =>
        backend.SgdUpdate(w, g, _velocity.AsSpan(offset, w.Length), (float)LearningRate, (float)Momentum, decay, transform, mirror);
}
