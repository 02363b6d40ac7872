using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

public sealed unsafe partial class SimdBackend
{
    // Each update is one pass over its arrays, reading the raw gradient through the transform so the mean and the L2
    // term cost no pass of their own. SGD and Adadelta use the reference's operations in the reference's order and no
    // fused multiply-adds, so they give the reference's bits; Adam divides once instead of three times (as PyTorch
    // does: w -= (lr/c1)·m / (√v/√c2 + ε)), which rounds differently in the last bits. Vector lanes and the scalar
    // tail do the same operations, so splitting a segment over threads at any multiple of 16, or running it on any
    // width, changes no bit.

    /// <summary>Below this many elements an update or sum runs on the calling thread alone.</summary>
    private const int ParallelUpdateLimit = 1 << 15;

    [ThreadStatic]
    private static UpdateJob? t_update;

    public void AdamUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamStep step, GradientTransform transform, Span<float> mirror = default)
    {
        using var mode = FlushToZeroMode.Enter();
        var length = w.Length;
        CheckLengths(length, g.Length, m.Length, v.Length, mirror.Length);
        fixed (float* pw = w, pg = g, pm = m, pv = v, pmirror = mirror)
        {
            var job = t_update ??= new UpdateJob();
            job.SetAdam(_width, pw, pg, pm, pv, step, transform);
            RunUpdate(job, length, pmirror);
        }
    }

    public void SgdUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> velocity, float learningRate, float momentum, float decay, GradientTransform transform, Span<float> mirror = default)
    {
        using var mode = FlushToZeroMode.Enter();
        var length = w.Length;
        CheckLengths(length, g.Length, velocity.Length, length, mirror.Length);
        fixed (float* pw = w, pg = g, pv = velocity, pmirror = mirror)
        {
            var job = t_update ??= new UpdateJob();
            job.SetSgd(_width, pw, pg, pv, learningRate, momentum, decay, transform);
            RunUpdate(job, length, pmirror);
        }
    }

    public void AdadeltaUpdate(
        Span<float> w, ReadOnlySpan<float> g, Span<float> squaredGradients, Span<float> squaredUpdates, float learningRate, float rho, float epsilon, float decay, GradientTransform transform,
        Span<float> mirror = default)
    {
        using var mode = FlushToZeroMode.Enter();
        var length = w.Length;
        CheckLengths(length, g.Length, squaredGradients.Length, squaredUpdates.Length, mirror.Length);
        fixed (float* pw = w, pg = g, psg = squaredGradients, psu = squaredUpdates, pmirror = mirror)
        {
            var job = t_update ??= new UpdateJob();
            job.SetAdadelta(_width, pw, pg, psg, psu, learningRate, rho, epsilon, decay, transform);
            RunUpdate(job, length, pmirror);
        }
    }

    private static void CheckLengths(int length, int g, int first, int second, int mirror)
    {
        if (g < length || first < length || second < length)
        {
            throw new ArgumentException($"an update of {length} parameters got a gradient of {g} and state of {first} and {second} values");
        }

        UpdateMirror.Check(length, mirror);
    }

    /// <summary>
    /// Runs an update in 16-aligned chunks shared out over the threads when it is <paramref name="forkable"/> and long enough
    /// to pay for the fork.
    /// </summary>
    private void RunUpdate(UpdateJob job, int length, float* mirror = null, bool forkable = true)
    {
        job.Length = length;
        job.Mirror = mirror;
        Execute(job, forkable && length >= ParallelUpdateLimit);
    }

    private sealed class UpdateJob : IParallelWork, IThreadedJob
    {
        private enum Rule
        {
            Adam,
            Sgd,
            Adadelta,
            Sum,
        }

        private Rule _rule;
        private VectorWidth _width;
        private float* _w;
        private float* _g;
        private float* _s1;
        private float* _s2;
        private AdamStep _adam;
        private GradientTransform _transform;
        private float _rate;
        private float _factor;
        private float _epsilon;
        private float _decay;

        /// <summary>Elements updated before they are copied to the mirror, while they are still in L1.</summary>
        private const int MirrorBlock = 2048;

        /// <summary>
        /// Tasks per participant: a helper woken from <see cref="Rest"/> joins 25–50 µs into a run, and with one task per
        /// thread the caller then waited at the end for the helper's whole half. Smaller tasks let the caller take over
        /// what the late helper has not started (W-DIST coordinator, first layer's Adam update with the mirror, 200k
        /// weights: median 146–164 → 118–154 µs, p90 190–332 → 156–224 µs over four runs each).
        /// </summary>
        private const int TasksPerThread = 8;

        /// <summary>Elements below which a task is not split further: claiming a task costs one compare-and-swap.</summary>
        private const int MinTaskLength = 4096;

        private int _chunk;

        public int Length { get; set; }

        /// <summary>Where updated weights are also written (at the same offsets), or null.</summary>
        public float* Mirror { get; set; }

        public void Execute(ComputeWorkers? workers)
        {
            if (workers is null)
            {
                _chunk = Length;
                Run(0);
                return;
            }

            var parts = workers.Threads * TasksPerThread;
            _chunk = Math.Max(((Length + parts - 1) / parts + 15) & ~15, MinTaskLength);
            workers.Run(this, (Length + _chunk - 1) / _chunk);
        }

        public void SetAdam(VectorWidth width, float* w, float* g, float* m, float* v, in AdamStep step, GradientTransform transform)
        {
            (_rule, _width, _adam, _transform) = (Rule.Adam, width, step, transform);
            SetArrays(w, g, m, v);
        }

        public void SetSgd(VectorWidth width, float* w, float* g, float* velocity, float rate, float momentum, float decay, GradientTransform transform)
        {
            (_rule, _width, _rate, _factor, _decay, _transform) = (Rule.Sgd, width, rate, momentum, decay, transform);
            SetArrays(w, g, velocity, null);
        }

        public void SetAdadelta(VectorWidth width, float* w, float* g, float* squaredGradients, float* squaredUpdates, float rate, float rho, float epsilon, float decay, GradientTransform transform)
        {
            (_rule, _width, _rate, _factor, _epsilon, _decay, _transform) = (Rule.Adadelta, width, rate, rho, epsilon, decay, transform);
            SetArrays(w, g, squaredGradients, squaredUpdates);
        }

        public void SetSum(VectorWidth width, float* x, float* y, float* sum)
        {
            (_rule, _width) = (Rule.Sum, width);
            SetArrays(sum, x, y, null);
        }

        private void SetArrays(float* w, float* g, float* first, float* second)
        {
            _w = w;
            _g = g;
            _s1 = first;
            _s2 = second;
        }

        public void Run(int task)
        {
            var start = task * _chunk;
            var count = Math.Min(_chunk, Length - start);
            if (Mirror is null)
            {
                Run(start, count);
                return;
            }

            for (var block = start; block < start + count; block += MirrorBlock)
            {
                var length = Math.Min(MirrorBlock, start + count - block);
                Run(block, length);
                Buffer.MemoryCopy(_w + block, Mirror + block, (long)length * sizeof(float), (long)length * sizeof(float));
            }
        }

        private void Run(int start, int count)
        {
            switch (_rule)
            {
                case Rule.Adam:
                    Adam(_width, _w + start, _g + start, _s1 + start, _s2 + start, count, _adam, _transform);
                    break;
                case Rule.Sgd:
                    Sgd(_width, _w + start, _g + start, _s1 + start, count, _rate, _factor, _decay, _transform);
                    break;
                case Rule.Sum:
                    Sum(_width, _g + start, _s1 + start, _w + start, count);
                    break;
                default:
                    Adadelta(_width, _w + start, _g + start, _s1 + start, _s2 + start, count, _rate, _factor, _epsilon, _decay, _transform);
                    break;
            }
        }
    }

    private static void Sum(VectorWidth width, float* x, float* y, float* sum, int length)
    {
        var i = 0;
        if (width == VectorWidth.V512)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Denormals.Flush(Vector512.Load(x + i) + Vector512.Load(y + i)).Store(sum + i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Denormals.Flush(Vector256.Load(x + i) + Vector256.Load(y + i)).Store(sum + i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Denormals.Flush(Vector128.Load(x + i) + Vector128.Load(y + i)).Store(sum + i);
            }
        }

        for (; i < length; i++)
        {
            sum[i] = Denormals.Flush(x[i] + y[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Adam(VectorWidth width, float* w, float* g, float* m, float* v, int length, in AdamStep step, GradientTransform transform)
    {
        var stepScale = step.LearningRate / step.BiasCorrection1;
        var rootCorrection2 = 1f / MathF.Sqrt(step.BiasCorrection2);
        var rateDecay = step.LearningRate * step.Decay;
        var i = 0;
        if (width == VectorWidth.V512)
        {
            var scale = Vector512.Create(transform.Scale);
            var l2 = Vector512.Create(transform.L2);
            var beta1 = Vector512.Create(step.Beta1);
            var beta2 = Vector512.Create(step.Beta2);
            var rest1 = Vector512.Create(1f - step.Beta1);
            var rest2 = Vector512.Create(1f - step.Beta2);
            var stepSize = Vector512.Create(stepScale);
            var root2 = Vector512.Create(rootCorrection2);
            var epsilon = Vector512.Create(step.Epsilon);
            var shrink = Vector512.Create(rateDecay);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wi = Vector512.Load(w + i);
                var gi = Denormals.Flush(Vector512.Load(g + i)) * scale + l2 * wi;
                var mi = Denormals.Flush(beta1 * Vector512.Load(m + i) + rest1 * gi);
                var vi = Denormals.Flush(beta2 * Vector512.Load(v + i) + rest2 * gi * gi);
                wi = Denormals.Flush(wi - (stepSize * mi / (Vector512.Sqrt(vi) * root2 + epsilon) + shrink * wi));
                mi.Store(m + i);
                vi.Store(v + i);
                wi.Store(w + i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            var scale = Vector256.Create(transform.Scale);
            var l2 = Vector256.Create(transform.L2);
            var beta1 = Vector256.Create(step.Beta1);
            var beta2 = Vector256.Create(step.Beta2);
            var rest1 = Vector256.Create(1f - step.Beta1);
            var rest2 = Vector256.Create(1f - step.Beta2);
            var stepSize = Vector256.Create(stepScale);
            var root2 = Vector256.Create(rootCorrection2);
            var epsilon = Vector256.Create(step.Epsilon);
            var shrink = Vector256.Create(rateDecay);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wi = Vector256.Load(w + i);
                var gi = Denormals.Flush(Vector256.Load(g + i)) * scale + l2 * wi;
                var mi = Denormals.Flush(beta1 * Vector256.Load(m + i) + rest1 * gi);
                var vi = Denormals.Flush(beta2 * Vector256.Load(v + i) + rest2 * gi * gi);
                wi = Denormals.Flush(wi - (stepSize * mi / (Vector256.Sqrt(vi) * root2 + epsilon) + shrink * wi));
                mi.Store(m + i);
                vi.Store(v + i);
                wi.Store(w + i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            var scale = Vector128.Create(transform.Scale);
            var l2 = Vector128.Create(transform.L2);
            var beta1 = Vector128.Create(step.Beta1);
            var beta2 = Vector128.Create(step.Beta2);
            var rest1 = Vector128.Create(1f - step.Beta1);
            var rest2 = Vector128.Create(1f - step.Beta2);
            var stepSize = Vector128.Create(stepScale);
            var root2 = Vector128.Create(rootCorrection2);
            var epsilon = Vector128.Create(step.Epsilon);
            var shrink = Vector128.Create(rateDecay);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var wi = Vector128.Load(w + i);
                var gi = Denormals.Flush(Vector128.Load(g + i)) * scale + l2 * wi;
                var mi = Denormals.Flush(beta1 * Vector128.Load(m + i) + rest1 * gi);
                var vi = Denormals.Flush(beta2 * Vector128.Load(v + i) + rest2 * gi * gi);
                wi = Denormals.Flush(wi - (stepSize * mi / (Vector128.Sqrt(vi) * root2 + epsilon) + shrink * wi));
                mi.Store(m + i);
                vi.Store(v + i);
                wi.Store(w + i);
            }
        }

        for (; i < length; i++)
        {
            var gi = Denormals.Flush(g[i]) * transform.Scale + transform.L2 * w[i];
            m[i] = Denormals.Flush(step.Beta1 * m[i] + (1f - step.Beta1) * gi);
            v[i] = Denormals.Flush(step.Beta2 * v[i] + (1f - step.Beta2) * gi * gi);
            w[i] = Denormals.Flush(w[i] - (stepScale * m[i] / (MathF.Sqrt(v[i]) * rootCorrection2 + step.Epsilon) + rateDecay * w[i]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sgd(VectorWidth width, float* w, float* g, float* velocity, int length, float learningRate, float momentum, float decay, GradientTransform transform)
    {
        var rateDecay = learningRate * decay;
        var i = 0;
        if (width == VectorWidth.V512)
        {
            var scale = Vector512.Create(transform.Scale);
            var l2 = Vector512.Create(transform.L2);
            var mu = Vector512.Create(momentum);
            var rate = Vector512.Create(learningRate);
            var shrink = Vector512.Create(rateDecay);
            for (; momentum == 0f && i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wi = Vector512.Load(w + i);
                var gi = Denormals.Flush(Vector512.Load(g + i)) * scale + l2 * wi;
                wi = Denormals.Flush(wi + (Vector512<float>.Zero - rate * gi - shrink * wi));
                wi.Store(w + i);
            }

            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wi = Vector512.Load(w + i);
                var gi = Denormals.Flush(Vector512.Load(g + i)) * scale + l2 * wi;
                var vi = Denormals.Flush(mu * Vector512.Load(velocity + i) - rate * gi);
                wi = Denormals.Flush(wi + (vi - shrink * wi));
                vi.Store(velocity + i);
                wi.Store(w + i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            var scale = Vector256.Create(transform.Scale);
            var l2 = Vector256.Create(transform.L2);
            var mu = Vector256.Create(momentum);
            var rate = Vector256.Create(learningRate);
            var shrink = Vector256.Create(rateDecay);
            for (; momentum == 0f && i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wi = Vector256.Load(w + i);
                var gi = Denormals.Flush(Vector256.Load(g + i)) * scale + l2 * wi;
                wi = Denormals.Flush(wi + (Vector256<float>.Zero - rate * gi - shrink * wi));
                wi.Store(w + i);
            }

            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wi = Vector256.Load(w + i);
                var gi = Denormals.Flush(Vector256.Load(g + i)) * scale + l2 * wi;
                var vi = Denormals.Flush(mu * Vector256.Load(velocity + i) - rate * gi);
                wi = Denormals.Flush(wi + (vi - shrink * wi));
                vi.Store(velocity + i);
                wi.Store(w + i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            var scale = Vector128.Create(transform.Scale);
            var l2 = Vector128.Create(transform.L2);
            var mu = Vector128.Create(momentum);
            var rate = Vector128.Create(learningRate);
            var shrink = Vector128.Create(rateDecay);
            for (; momentum == 0f && i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var wi = Vector128.Load(w + i);
                var gi = Denormals.Flush(Vector128.Load(g + i)) * scale + l2 * wi;
                wi = Denormals.Flush(wi + (Vector128<float>.Zero - rate * gi - shrink * wi));
                wi.Store(w + i);
            }

            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var wi = Vector128.Load(w + i);
                var gi = Denormals.Flush(Vector128.Load(g + i)) * scale + l2 * wi;
                var vi = Denormals.Flush(mu * Vector128.Load(velocity + i) - rate * gi);
                wi = Denormals.Flush(wi + (vi - shrink * wi));
                vi.Store(velocity + i);
                wi.Store(w + i);
            }
        }

        for (; i < length; i++)
        {
            var gi = Denormals.Flush(g[i]) * transform.Scale + transform.L2 * w[i];
            var step = momentum == 0f ? 0f - learningRate * gi : Denormals.Flush(momentum * velocity[i] - learningRate * gi);
            if (momentum != 0f)
            {
                velocity[i] = step;
            }

            w[i] = Denormals.Flush(w[i] + (step - rateDecay * w[i]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Adadelta(
        VectorWidth width, float* w, float* g, float* squaredGradients, float* squaredUpdates, int length, float learningRate, float rho, float epsilon, float decay, GradientTransform transform)
    {
        var rateDecay = learningRate * decay;
        var i = 0;
        if (width == VectorWidth.V512)
        {
            var scale = Vector512.Create(transform.Scale);
            var l2 = Vector512.Create(transform.L2);
            var r = Vector512.Create(rho);
            var rest = Vector512.Create(1f - rho);
            var eps = Vector512.Create(epsilon);
            var rate = Vector512.Create(learningRate);
            var shrink = Vector512.Create(rateDecay);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wi = Vector512.Load(w + i);
                var gi = Denormals.Flush(Vector512.Load(g + i)) * scale + l2 * wi;
                var sg = Denormals.Flush(r * Vector512.Load(squaredGradients + i) + rest * gi * gi);
                var su = Vector512.Load(squaredUpdates + i);
                var delta = -Vector512.Sqrt(su + eps) / Vector512.Sqrt(sg + eps) * gi;
                su = Denormals.Flush(r * su + rest * delta * delta);
                wi = Denormals.Flush(wi + (rate * delta - shrink * wi));
                sg.Store(squaredGradients + i);
                su.Store(squaredUpdates + i);
                wi.Store(w + i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            var scale = Vector256.Create(transform.Scale);
            var l2 = Vector256.Create(transform.L2);
            var r = Vector256.Create(rho);
            var rest = Vector256.Create(1f - rho);
            var eps = Vector256.Create(epsilon);
            var rate = Vector256.Create(learningRate);
            var shrink = Vector256.Create(rateDecay);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wi = Vector256.Load(w + i);
                var gi = Denormals.Flush(Vector256.Load(g + i)) * scale + l2 * wi;
                var sg = Denormals.Flush(r * Vector256.Load(squaredGradients + i) + rest * gi * gi);
                var su = Vector256.Load(squaredUpdates + i);
                var delta = -Vector256.Sqrt(su + eps) / Vector256.Sqrt(sg + eps) * gi;
                su = Denormals.Flush(r * su + rest * delta * delta);
                wi = Denormals.Flush(wi + (rate * delta - shrink * wi));
                sg.Store(squaredGradients + i);
                su.Store(squaredUpdates + i);
                wi.Store(w + i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            var scale = Vector128.Create(transform.Scale);
            var l2 = Vector128.Create(transform.L2);
            var r = Vector128.Create(rho);
            var rest = Vector128.Create(1f - rho);
            var eps = Vector128.Create(epsilon);
            var rate = Vector128.Create(learningRate);
            var shrink = Vector128.Create(rateDecay);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var wi = Vector128.Load(w + i);
                var gi = Denormals.Flush(Vector128.Load(g + i)) * scale + l2 * wi;
                var sg = Denormals.Flush(r * Vector128.Load(squaredGradients + i) + rest * gi * gi);
                var su = Vector128.Load(squaredUpdates + i);
                var delta = -Vector128.Sqrt(su + eps) / Vector128.Sqrt(sg + eps) * gi;
                su = Denormals.Flush(r * su + rest * delta * delta);
                wi = Denormals.Flush(wi + (rate * delta - shrink * wi));
                sg.Store(squaredGradients + i);
                su.Store(squaredUpdates + i);
                wi.Store(w + i);
            }
        }

        for (; i < length; i++)
        {
            var gi = Denormals.Flush(g[i]) * transform.Scale + transform.L2 * w[i];
            squaredGradients[i] = Denormals.Flush(rho * squaredGradients[i] + (1f - rho) * gi * gi);
            var delta = -MathF.Sqrt(squaredUpdates[i] + epsilon) / MathF.Sqrt(squaredGradients[i] + epsilon) * gi;
            squaredUpdates[i] = Denormals.Flush(rho * squaredUpdates[i] + (1f - rho) * delta * delta);
            w[i] = Denormals.Flush(w[i] + (learningRate * delta - rateDecay * w[i]));
        }
    }
}
