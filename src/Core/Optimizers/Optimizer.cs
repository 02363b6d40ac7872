using SegaLearn.Compute;

namespace SegaLearn.Optimizers;

/// <summary>
/// Base of the optimizers: owns the learning rate (changed by the schedulers), the step count and the state
/// buffers, which are plain float arrays laid out like the parameters so they can be checkpointed and sharded.
/// Weights get the optimizer's weight decay (<c>reg_lambda</c>); biases never do.
/// </summary>
public abstract class Optimizer
{
    private double _learningRate;

    protected Optimizer(double learningRate, double regLambda)
    {
        ValidatePositive(learningRate, nameof(learningRate));
        if (!double.IsFinite(regLambda) || regLambda < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(regLambda), regLambda, "reg_lambda must be a finite number >= 0");
        }

        _learningRate = learningRate;
        RegLambda = regLambda;
    }

    /// <summary>The current learning rate; schedulers change it between epochs.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            ValidatePositive(value, nameof(LearningRate));
            _learningRate = value;
        }
    }

    /// <summary>Weight decay applied to weights only.</summary>
    public double RegLambda { get; }

    /// <summary>Optimizer steps taken so far (Adam's t).</summary>
    public long StepCount { get; private set; }

    /// <summary>Short name: adam, sgd or adadelta.</summary>
    public abstract string Name { get; }

    /// <summary>The state buffers by name, each as long as the parameters (empty before the first step).</summary>
    public abstract IReadOnlyList<KeyValuePair<string, float[]>> State { get; }

    /// <summary>Applies one update to <paramref name="parameters"/> from the mean-loss <paramref name="gradients"/>.</summary>
    public void Step(IComputeBackend backend, ParameterLayout layout, Span<float> parameters, ReadOnlySpan<float> gradients) =>
        Step(backend, layout, parameters, gradients, 1f, 0f);

    /// <summary>
    /// Applies one update from a gradient sum: the gradient applied is <c>g·gradientScale + l2·W</c> for weights and
    /// <c>g·gradientScale</c> for biases, computed inside the update pass (the trainer passes 1/samples and
    /// 2·reg_lambda, the seed's mean regularized loss). Gives the same bits as scaling the buffer first with
    /// <see cref="IComputeBackend.ScaleAdd"/> and <see cref="IComputeBackend.Scale"/> and then calling
    /// <see cref="Step(IComputeBackend, ParameterLayout, Span{float}, ReadOnlySpan{float})"/>, without that pass.
    /// <para>
    /// The updated parameters are also written to <paramref name="mirror"/> unless it is empty, in the same pass: a
    /// distributed engine publishes them to its workers this way without copying them after the update.
    /// </para>
    /// </summary>
    public void Step(
        IComputeBackend backend, ParameterLayout layout, Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale, float l2, Span<float> mirror = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        BeginStep(layout.TotalCount);
        UpdateRange(backend, layout, parameters, gradients, gradientScale, l2, 0, layout.TotalCount, mirror);
    }

    /// <summary>
    /// Counts one more step (Adam's t) for updates that come in ranges: <see cref="UpdateRange"/> then updates each
    /// parameter of the step exactly once, in any order of ranges. Every update is element by element, and vector lanes
    /// and scalar tails compute alike, so the bits equal those of one <see cref="Step(IComputeBackend, ParameterLayout, Span{float}, ReadOnlySpan{float}, float, float, Span{float})"/>.
    /// </summary>
    public void BeginStep(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        EnsureState(parameterCount);
        StepCount++;
    }

    /// <summary>
    /// Updates parameters [<paramref name="offset"/>, +<paramref name="length"/>) of the step begun with
    /// <see cref="BeginStep"/>, as <see cref="Step(IComputeBackend, ParameterLayout, Span{float}, ReadOnlySpan{float}, float, float, Span{float})"/>
    /// does for all of them; <paramref name="mirror"/>, when not empty, is as long as all parameters.
    /// </summary>
    public void UpdateRange(
        IComputeBackend backend, ParameterLayout layout, Span<float> parameters, ReadOnlySpan<float> gradients, float gradientScale, float l2, int offset, int length,
        Span<float> mirror = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(layout);
        if (parameters.Length != layout.TotalCount || gradients.Length != layout.TotalCount || !(mirror.IsEmpty || mirror.Length == layout.TotalCount))
        {
            throw new ArgumentException(
                $"parameters ({parameters.Length}), gradients ({gradients.Length}) and a mirror ({mirror.Length}) if any must all hold {layout.TotalCount} values");
        }

        if (offset < 0 || length < 0 || offset > layout.TotalCount - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside the {layout.TotalCount} parameters");
        }

        if (StepCount == 0)
        {
            throw new InvalidOperationException("BeginStep must be called before UpdateRange");
        }

        var decay = (float)RegLambda;
        var end = offset + length;
        using var mode = FlushToZeroMode.EnterFor(backend);
        for (var l = 0; l < layout.LayerCount; l++)
        {
            UpdateOverlap(backend, parameters, gradients, layout.WeightOffset(l), layout.WeightCount(l), offset, end, decay, new GradientTransform(gradientScale, l2), mirror);
            UpdateOverlap(backend, parameters, gradients, layout.BiasOffset(l), layout.OutputsOf(l), offset, end, 0f, new GradientTransform(gradientScale, 0f), mirror);
        }
    }

    /// <summary>Updates the part of segment [<paramref name="start"/>, +<paramref name="count"/>) inside [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private void UpdateOverlap(
        IComputeBackend backend, Span<float> parameters, ReadOnlySpan<float> gradients, int start, int count, int from, int to, float decay, GradientTransform transform, Span<float> mirror)
    {
        var first = Math.Max(start, from);
        var last = Math.Min(start + count, to);
        if (first < last)
        {
            UpdateSegment(backend, parameters[first..last], gradients[first..last], first, decay, transform, MirrorOf(mirror, first, last - first));
        }
    }

    private static Span<float> MirrorOf(Span<float> mirror, int offset, int count) => mirror.IsEmpty ? default : mirror.Slice(offset, count);

    /// <summary>Restores a checkpointed state: step count, learning rate and buffers (copied).</summary>
    public void Restore(long stepCount, double learningRate, IReadOnlyList<KeyValuePair<string, float[]>> state, int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        ArgumentNullException.ThrowIfNull(state);
        LearningRate = learningRate;
        EnsureState(parameterCount);
        var own = State;
        if (state.Count != own.Count)
        {
            throw new BadInputException($"the {Name} optimizer has {own.Count} state buffer(s), the checkpoint {state.Count}");
        }

        for (var i = 0; i < own.Count; i++)
        {
            if (own[i].Key != state[i].Key || own[i].Value.Length != state[i].Value.Length)
            {
                throw new BadInputException($"optimizer state '{state[i].Key}' does not fit the {Name} optimizer of this model");
            }

            state[i].Value.CopyTo(own[i].Value, 0);
        }

        StepCount = stepCount;
    }

    /// <summary>Allocates the state buffers once, sized like the parameters.</summary>
    protected abstract void EnsureState(int parameterCount);

    /// <summary>
    /// Updates one contiguous segment (a layer's weights or bias) starting at <paramref name="offset"/> in the flat
    /// buffer, writing the result to <paramref name="mirror"/> too unless it is empty.
    /// </summary>
    protected abstract void UpdateSegment(IComputeBackend backend, Span<float> w, ReadOnlySpan<float> g, int offset, float decay, GradientTransform transform, Span<float> mirror);

    protected static void ValidatePositive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0");
        }
    }

    protected static void ValidateFraction(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0 || value >= 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1)");
        }
    }
}
