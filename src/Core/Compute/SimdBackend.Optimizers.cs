using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

public sealed unsafe partial class SimdBackend
{
    // Each update is one pass of WidthLoop.Update over its arrays, reading the raw gradient through the transform so
    // the mean and the L2 term cost no pass of their own. SGD and Adadelta use the reference's operations in the
    // reference's order and no fused multiply-adds, so they give the reference's bits; Adam rounds differently (see
    // AdamOperator). Vector lanes and the scalar tail do the same operations, so splitting a segment over threads at
    // any multiple of 16, or running it on any width, changes no bit.

    /// <summary>Below this many elements an update or sum runs on the calling thread alone.</summary>
    private const int ParallelUpdateLimit = 1 << 15;

    public void AdamUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamStep step, GradientTransform transform, Span<float> mirror = default)
    {
        using var mode = FlushToZeroMode.Enter();
        var length = w.Length;
        CheckLengths(length, g.Length, m.Length, v.Length, mirror.Length);
        fixed (float* pw = w, pg = g, pm = m, pv = v, pmirror = mirror)
        {
            RunUpdate(new AdamOperator(step, transform), pw, pg, pm, pv, pmirror, length);
        }
    }

    public void SgdUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> velocity, float learningRate, float momentum, float decay, GradientTransform transform, Span<float> mirror = default)
    {
        using var mode = FlushToZeroMode.Enter();
        var length = w.Length;
        CheckLengths(length, g.Length, velocity.Length, length, mirror.Length);
        fixed (float* pw = w, pg = g, pv = velocity, pmirror = mirror)
        {
            if (momentum == 0f)
            {
                RunUpdate(new SgdOperator(learningRate, decay, transform), pw, pg, null, null, pmirror, length);
            }
            else
            {
                RunUpdate(new MomentumOperator(learningRate, momentum, decay, transform), pw, pg, pv, null, pmirror, length);
            }
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
            RunUpdate(new AdadeltaOperator(learningRate, rho, epsilon, decay, transform), pw, pg, psg, psu, pmirror, length);
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

    private void RunUpdate<TOp>(in TOp op, float* w, float* g, float* s1, float* s2, float* mirror, int length)
        where TOp : struct, IUpdateOperator
    {
        if (mirror is null)
        {
            RangeJob<UpdateRange<TOp, NoSink>>.Run(this, new(_width, op, default, w, g, s1, s2), length, forkable: true);
        }
        else
        {
            RangeJob<UpdateRange<TOp, MirrorSink>>.Run(this, new(_width, op, new MirrorSink(w, mirror), w, g, s1, s2), length, forkable: true);
        }
    }

    /// <summary>A kernel over any range of its elements, so that <see cref="RangeJob{TKernel}"/> can share the ranges out.</summary>
    private interface IRangeKernel
    {
        void Run(int start, int count);
    }

    /// <summary>An optimizer's update over a range, with the range's chunks handed to the sink.</summary>
    private readonly struct UpdateRange<TOp, TSink>(VectorWidth width, TOp op, TSink sink, float* w, float* g, float* s1, float* s2) : IRangeKernel
        where TOp : struct, IUpdateOperator
        where TSink : struct, IChunkSink
    {
        private readonly TOp _op = op;
        private readonly TSink _sink = sink;

        public void Run(int start, int count) => WidthLoop.Update(width, _op, _sink, w, g, s1, s2, start, count);
    }

    /// <summary>The flushed pairwise sum of <see cref="Add(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> over a range.</summary>
    private readonly struct SumRange(VectorWidth width, float* x, float* y, float* sum) : IRangeKernel
    {
        public void Run(int start, int count) =>
            WidthLoop.Zip(width, new FlushedBinary<AddOperator>(), new ReadOnlySpan<float>(x + start, count), new ReadOnlySpan<float>(y + start, count), new Span<float>(sum + start, count));
    }

    /// <summary>The bfloat16 tree node of <see cref="AddBFloat16"/> over a range.</summary>
    private readonly struct BFloat16SumRange(VectorWidth width, float* x, float* y, float* sum) : IRangeKernel
    {
        public void Run(int start, int count) =>
            WidthLoop.Zip(width, new BFloat16AddOperator(), new ReadOnlySpan<float>(x + start, count), new ReadOnlySpan<float>(y + start, count), new Span<float>(sum + start, count));
    }

    /// <summary>
    /// Runs a range kernel in 16-aligned ranges shared out over the threads when it is forkable and long enough to pay for
    /// the fork; one instance per kernel type and calling thread, so a steady-state call allocates nothing.
    /// </summary>
    private sealed class RangeJob<TKernel> : IParallelWork, IThreadedJob
        where TKernel : struct, IRangeKernel
    {
        /// <summary>
        /// Tasks per participant: a helper woken from <see cref="Rest"/> joins 25–50 µs into a run, and with one task per
        /// thread the caller then waited at the end for the helper's whole half. Smaller tasks let the caller take over
        /// what the late helper has not started (W-DIST coordinator, first layer's Adam update with the mirror, 200k
        /// weights: median 146–164 → 118–154 µs, p90 190–332 → 156–224 µs over four runs each).
        /// </summary>
        private const int TasksPerThread = 8;

        /// <summary>Elements below which a task is not split further: claiming a task costs one compare-and-swap.</summary>
        private const int MinTaskLength = 4096;

        [ThreadStatic]
        private static RangeJob<TKernel>? t_job;

        private TKernel _kernel;
        private int _length;
        private int _chunk;

        public static void Run(SimdBackend backend, in TKernel kernel, int length, bool forkable)
        {
            // A run that will not fork skips the job: its thread-static lookup costs about as much as adding one row of
            // a few thousand, which ColumnSums does row by row.
            if (!forkable || length < ParallelUpdateLimit || backend.Threads == 1)
            {
                kernel.Run(0, length);
                return;
            }

            var job = t_job ??= new RangeJob<TKernel>();
            job._kernel = kernel;
            job._length = length;
            backend.Execute(job, forkable && length >= ParallelUpdateLimit);
        }

        public void Execute(ComputeWorkers? workers)
        {
            if (workers is null)
            {
                _kernel.Run(0, _length);
                return;
            }

            var parts = workers.Threads * TasksPerThread;
            _chunk = Math.Max(((_length + parts - 1) / parts + 15) & ~15, MinTaskLength);
            workers.Run(this, (_length + _chunk - 1) / _chunk);
        }

        public void Run(int task)
        {
            var start = task * _chunk;
            _kernel.Run(start, Math.Min(_chunk, _length - start));
        }
    }

    /// <summary>
    /// Adam as PyTorch computes it, w -= (lr/c1)·m / (√v/√c2 + ε), dividing once instead of three times, which rounds
    /// differently from the reference in the last bits.
    /// </summary>
    internal readonly struct AdamOperator(in AdamStep step, GradientTransform transform) : IUpdateOperator
    {
        private readonly Broadcast _scale = new(transform.Scale);
        private readonly Broadcast _l2 = new(transform.L2);
        private readonly Broadcast _beta1 = new(step.Beta1);
        private readonly Broadcast _beta2 = new(step.Beta2);
        private readonly Broadcast _rest1 = new(1f - step.Beta1);
        private readonly Broadcast _rest2 = new(1f - step.Beta2);
        private readonly Broadcast _stepSize = new(step.LearningRate / step.BiasCorrection1);
        private readonly Broadcast _root2 = new(1f / MathF.Sqrt(step.BiasCorrection2));
        private readonly Broadcast _epsilon = new(step.Epsilon);
        private readonly Broadcast _shrink = new(step.LearningRate * step.Decay);

        public static int States => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref float w, float g, ref float m, ref float v)
        {
            var gi = Denormals.Flush(g) * _scale.Scalar + _l2.Scalar * w;
            m = Denormals.Flush(_beta1.Scalar * m + _rest1.Scalar * gi);
            v = Denormals.Flush(_beta2.Scalar * v + _rest2.Scalar * gi * gi);
            w = Denormals.Flush(w - (_stepSize.Scalar * m / (MathF.Sqrt(v) * _root2.Scalar + _epsilon.Scalar) + _shrink.Scalar * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> w, Vector128<float> g, ref Vector128<float> m, ref Vector128<float> v)
        {
            var gi = Denormals.Flush(g) * _scale.V128 + _l2.V128 * w;
            m = Denormals.Flush(_beta1.V128 * m + _rest1.V128 * gi);
            v = Denormals.Flush(_beta2.V128 * v + _rest2.V128 * gi * gi);
            w = Denormals.Flush(w - (_stepSize.V128 * m / (Vector128.Sqrt(v) * _root2.V128 + _epsilon.V128) + _shrink.V128 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> w, Vector256<float> g, ref Vector256<float> m, ref Vector256<float> v)
        {
            var gi = Denormals.Flush(g) * _scale.V256 + _l2.V256 * w;
            m = Denormals.Flush(_beta1.V256 * m + _rest1.V256 * gi);
            v = Denormals.Flush(_beta2.V256 * v + _rest2.V256 * gi * gi);
            w = Denormals.Flush(w - (_stepSize.V256 * m / (Vector256.Sqrt(v) * _root2.V256 + _epsilon.V256) + _shrink.V256 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> w, Vector512<float> g, ref Vector512<float> m, ref Vector512<float> v)
        {
            var gi = Denormals.Flush(g) * _scale.V512 + _l2.V512 * w;
            m = Denormals.Flush(_beta1.V512 * m + _rest1.V512 * gi);
            v = Denormals.Flush(_beta2.V512 * v + _rest2.V512 * gi * gi);
            w = Denormals.Flush(w - (_stepSize.V512 * m / (Vector512.Sqrt(v) * _root2.V512 + _epsilon.V512) + _shrink.V512 * w));
        }
    }

    /// <summary>Plain SGD, w += -lr·g - lr·decay·w, in the reference's operations and order.</summary>
    internal readonly struct SgdOperator(float learningRate, float decay, GradientTransform transform) : IUpdateOperator
    {
        private readonly Broadcast _scale = new(transform.Scale);
        private readonly Broadcast _l2 = new(transform.L2);
        private readonly Broadcast _rate = new(learningRate);
        private readonly Broadcast _shrink = new(learningRate * decay);

        public static int States => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref float w, float g, ref float s1, ref float s2)
        {
            var gi = Denormals.Flush(g) * _scale.Scalar + _l2.Scalar * w;
            w = Denormals.Flush(w + (0f - _rate.Scalar * gi - _shrink.Scalar * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> w, Vector128<float> g, ref Vector128<float> s1, ref Vector128<float> s2)
        {
            var gi = Denormals.Flush(g) * _scale.V128 + _l2.V128 * w;
            w = Denormals.Flush(w + (Vector128<float>.Zero - _rate.V128 * gi - _shrink.V128 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> w, Vector256<float> g, ref Vector256<float> s1, ref Vector256<float> s2)
        {
            var gi = Denormals.Flush(g) * _scale.V256 + _l2.V256 * w;
            w = Denormals.Flush(w + (Vector256<float>.Zero - _rate.V256 * gi - _shrink.V256 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> w, Vector512<float> g, ref Vector512<float> s1, ref Vector512<float> s2)
        {
            var gi = Denormals.Flush(g) * _scale.V512 + _l2.V512 * w;
            w = Denormals.Flush(w + (Vector512<float>.Zero - _rate.V512 * gi - _shrink.V512 * w));
        }
    }

    /// <summary>SGD with momentum, v = μ·v - lr·g, w += v - lr·decay·w, in the reference's operations and order.</summary>
    internal readonly struct MomentumOperator(float learningRate, float momentum, float decay, GradientTransform transform) : IUpdateOperator
    {
        private readonly Broadcast _scale = new(transform.Scale);
        private readonly Broadcast _l2 = new(transform.L2);
        private readonly Broadcast _momentum = new(momentum);
        private readonly Broadcast _rate = new(learningRate);
        private readonly Broadcast _shrink = new(learningRate * decay);

        public static int States => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref float w, float g, ref float velocity, ref float s2)
        {
            var gi = Denormals.Flush(g) * _scale.Scalar + _l2.Scalar * w;
            velocity = Denormals.Flush(_momentum.Scalar * velocity - _rate.Scalar * gi);
            w = Denormals.Flush(w + (velocity - _shrink.Scalar * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> w, Vector128<float> g, ref Vector128<float> velocity, ref Vector128<float> s2)
        {
            var gi = Denormals.Flush(g) * _scale.V128 + _l2.V128 * w;
            velocity = Denormals.Flush(_momentum.V128 * velocity - _rate.V128 * gi);
            w = Denormals.Flush(w + (velocity - _shrink.V128 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> w, Vector256<float> g, ref Vector256<float> velocity, ref Vector256<float> s2)
        {
            var gi = Denormals.Flush(g) * _scale.V256 + _l2.V256 * w;
            velocity = Denormals.Flush(_momentum.V256 * velocity - _rate.V256 * gi);
            w = Denormals.Flush(w + (velocity - _shrink.V256 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> w, Vector512<float> g, ref Vector512<float> velocity, ref Vector512<float> s2)
        {
            var gi = Denormals.Flush(g) * _scale.V512 + _l2.V512 * w;
            velocity = Denormals.Flush(_momentum.V512 * velocity - _rate.V512 * gi);
            w = Denormals.Flush(w + (velocity - _shrink.V512 * w));
        }
    }

    /// <summary>Adadelta in the reference's operations and order.</summary>
    internal readonly struct AdadeltaOperator(float learningRate, float rho, float epsilon, float decay, GradientTransform transform) : IUpdateOperator
    {
        private readonly Broadcast _scale = new(transform.Scale);
        private readonly Broadcast _l2 = new(transform.L2);
        private readonly Broadcast _rho = new(rho);
        private readonly Broadcast _rest = new(1f - rho);
        private readonly Broadcast _epsilon = new(epsilon);
        private readonly Broadcast _rate = new(learningRate);
        private readonly Broadcast _shrink = new(learningRate * decay);

        public static int States => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref float w, float g, ref float squaredGradient, ref float squaredUpdate)
        {
            var gi = Denormals.Flush(g) * _scale.Scalar + _l2.Scalar * w;
            squaredGradient = Denormals.Flush(_rho.Scalar * squaredGradient + _rest.Scalar * gi * gi);
            var delta = -MathF.Sqrt(squaredUpdate + _epsilon.Scalar) / MathF.Sqrt(squaredGradient + _epsilon.Scalar) * gi;
            squaredUpdate = Denormals.Flush(_rho.Scalar * squaredUpdate + _rest.Scalar * delta * delta);
            w = Denormals.Flush(w + (_rate.Scalar * delta - _shrink.Scalar * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector128<float> w, Vector128<float> g, ref Vector128<float> squaredGradient, ref Vector128<float> squaredUpdate)
        {
            var gi = Denormals.Flush(g) * _scale.V128 + _l2.V128 * w;
            squaredGradient = Denormals.Flush(_rho.V128 * squaredGradient + _rest.V128 * gi * gi);
            var delta = -Vector128.Sqrt(squaredUpdate + _epsilon.V128) / Vector128.Sqrt(squaredGradient + _epsilon.V128) * gi;
            squaredUpdate = Denormals.Flush(_rho.V128 * squaredUpdate + _rest.V128 * delta * delta);
            w = Denormals.Flush(w + (_rate.V128 * delta - _shrink.V128 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector256<float> w, Vector256<float> g, ref Vector256<float> squaredGradient, ref Vector256<float> squaredUpdate)
        {
            var gi = Denormals.Flush(g) * _scale.V256 + _l2.V256 * w;
            squaredGradient = Denormals.Flush(_rho.V256 * squaredGradient + _rest.V256 * gi * gi);
            var delta = -Vector256.Sqrt(squaredUpdate + _epsilon.V256) / Vector256.Sqrt(squaredGradient + _epsilon.V256) * gi;
            squaredUpdate = Denormals.Flush(_rho.V256 * squaredUpdate + _rest.V256 * delta * delta);
            w = Denormals.Flush(w + (_rate.V256 * delta - _shrink.V256 * w));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Invoke(ref Vector512<float> w, Vector512<float> g, ref Vector512<float> squaredGradient, ref Vector512<float> squaredUpdate)
        {
            var gi = Denormals.Flush(g) * _scale.V512 + _l2.V512 * w;
            squaredGradient = Denormals.Flush(_rho.V512 * squaredGradient + _rest.V512 * gi * gi);
            var delta = -Vector512.Sqrt(squaredUpdate + _epsilon.V512) / Vector512.Sqrt(squaredGradient + _epsilon.V512) * gi;
            squaredUpdate = Denormals.Flush(_rho.V512 * squaredUpdate + _rest.V512 * delta * delta);
            w = Denormals.Flush(w + (_rate.V512 * delta - _shrink.V512 * w));
        }
    }
}
