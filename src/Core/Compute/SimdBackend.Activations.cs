using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

public sealed partial class SimdBackend
{
    public void BiasActivation(Span<float> z, ReadOnlySpan<float> bias, Span<float> output, int rows, int cols, Activation activation)
    {
        using var mode = FlushToZeroMode.Enter();
        bias = bias[..cols];
        for (var i = 0; i < rows; i++)
        {
            var zr = z.Slice(i * cols, cols);
            var ar = output.Slice(i * cols, cols);
            switch (activation.Kind)
            {
                case ActivationKind.ReLU:
                    Elementwise<BiasReLU>(zr, bias, ar, 0f);
                    break;
                case ActivationKind.LeakyReLU:
                    Elementwise<BiasLeakyReLU>(zr, bias, ar, activation.Alpha);
                    break;
                case ActivationKind.Linear:
                    Elementwise<BiasLinear>(zr, bias, ar, 0f);
                    break;
                default:
                    Add(zr, bias);
                    Activate(zr, ar, activation.Kind);
                    break;
            }
        }
    }

    public void ActivationBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> output, Span<float> gradient, int rows, int cols, Activation activation)
    {
        using var mode = FlushToZeroMode.Enter();
        var size = rows * cols;
        z = z[..size];
        output = output[..size];
        gradient = gradient[..size];
        switch (activation.Kind)
        {
            case ActivationKind.ReLU:
                Elementwise<ReLUGradient>(gradient, z, gradient, 0f);
                break;
            case ActivationKind.LeakyReLU:
                Elementwise<LeakyReLUGradient>(gradient, z, gradient, activation.Alpha);
                break;
            case ActivationKind.Tanh:
                Elementwise<TanhGradient>(gradient, output, gradient, 0f);
                break;
            case ActivationKind.Sigmoid:
                Elementwise<SigmoidGradient>(gradient, output, gradient, 0f);
                break;
            case ActivationKind.Linear:
                Denormals.Flush(gradient);
                break;
            case ActivationKind.Softmax:
                for (var i = 0; i < rows; i++)
                {
                    var ar = output.Slice(i * cols, cols);
                    var gr = gradient.Slice(i * cols, cols);
                    var dot = FixedOrder.Dot(_width, gr, ar);
                    for (var j = 0; j < cols; j++)
                    {
                        gr[j] = Denormals.Flush(ar[j] * (gr[j] - dot));
                    }
                }

                break;
        }
    }

    public double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows, int cols)
    {
        using var mode = FlushToZeroMode.Enter();
        double loss = 0;
        for (var i = 0; i < rows; i++)
        {
            var p = probabilities.Slice(i * cols, cols);
            var g = gradient.Slice(i * cols, cols);
            Softmax(logits.Slice(i * cols, cols), p);
            var label = labels[i];
            loss -= Math.Log(p[label] + CrossEntropy.LogEpsilon);
            p.CopyTo(g);
            g[label] -= 1f;
        }

        return loss;
    }

    /// <summary>One logit per row and the exact double conventions of the interface: the reference's own arithmetic.</summary>
    public double SigmoidBinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows)
    {
        using var mode = FlushToZeroMode.Enter();
        return CrossEntropy.SigmoidBinary(logits, labels, probabilities, gradient, rows);
    }

    private void Activate(ReadOnlySpan<float> z, Span<float> output, ActivationKind kind)
    {
        switch (kind)
        {
            case ActivationKind.Softmax:
                Softmax(z, output);
                return;
            case ActivationKind.Tanh:
                Map<TanhRule>(z, output, 0f);
                return;
            default:
                Map<SigmoidRule>(z, output, 0f);
                return;
        }
    }

    /// <summary>
    /// exp(z - max) over the fixed-order sum of those (see <see cref="FixedOrder"/>): every width takes the same max,
    /// the same exp and the same sum, so the same bits.
    /// </summary>
    private void Softmax(ReadOnlySpan<float> z, Span<float> output)
    {
        output = output[..z.Length];
        Map<ShiftedExpRule>(z, output, FixedOrder.Max(_width, z));
        TensorPrimitives.Divide(output, FixedOrder.Sum(_width, output), output);
        Denormals.Flush(output);
    }

    /// <summary>
    /// <c>output[i] = TRule(x[i])</c>, flushed to zero where denormal, with the rule's one sequence of operations in
    /// whichever width covers i (see <see cref="Transcendentals"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Map<TRule>(ReadOnlySpan<float> x, Span<float> output, float alpha)
        where TRule : struct, IMapRule
    {
        var length = x.Length;
        output = output[..length];
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var rr = ref MemoryMarshal.GetReference(output);
        var i = 0;
        if (_width == VectorWidth.V512)
        {
            var a = Vector512.Create(alpha);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                Denormals.Flush(TRule.Apply(Vector512.LoadUnsafe(ref xr, (nuint)i), a)).StoreUnsafe(ref rr, (nuint)i);
            }
        }

        if (_width is VectorWidth.V512 or VectorWidth.V256)
        {
            var a = Vector256.Create(alpha);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                Denormals.Flush(TRule.Apply(Vector256.LoadUnsafe(ref xr, (nuint)i), a)).StoreUnsafe(ref rr, (nuint)i);
            }
        }

        if (Vectorized)
        {
            var a = Vector128.Create(alpha);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                Denormals.Flush(TRule.Apply(Vector128.LoadUnsafe(ref xr, (nuint)i), a)).StoreUnsafe(ref rr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            output[i] = Denormals.Flush(TRule.Apply(x[i], alpha));
        }
    }

    /// <summary>A lane-wise function of one operand (and a constant).</summary>
    private interface IMapRule
    {
        static abstract Vector512<float> Apply(Vector512<float> x, Vector512<float> alpha);

        static abstract Vector256<float> Apply(Vector256<float> x, Vector256<float> alpha);

        static abstract Vector128<float> Apply(Vector128<float> x, Vector128<float> alpha);

        static abstract float Apply(float x, float alpha);
    }

    private readonly struct TanhRule : IMapRule
    {
        public static Vector512<float> Apply(Vector512<float> x, Vector512<float> alpha) => Transcendentals.Tanh(x);

        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> alpha) => Transcendentals.Tanh(x);

        public static Vector128<float> Apply(Vector128<float> x, Vector128<float> alpha) => Transcendentals.Tanh(x);

        public static float Apply(float x, float alpha) => Transcendentals.Tanh(x);
    }

    private readonly struct SigmoidRule : IMapRule
    {
        public static Vector512<float> Apply(Vector512<float> x, Vector512<float> alpha) => Transcendentals.Sigmoid(x);

        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> alpha) => Transcendentals.Sigmoid(x);

        public static Vector128<float> Apply(Vector128<float> x, Vector128<float> alpha) => Transcendentals.Sigmoid(x);

        public static float Apply(float x, float alpha) => Transcendentals.Sigmoid(x);
    }

    /// <summary>exp(x - alpha).</summary>
    private readonly struct ShiftedExpRule : IMapRule
    {
        public static Vector512<float> Apply(Vector512<float> x, Vector512<float> alpha) => Transcendentals.Exp(x - alpha);

        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> alpha) => Transcendentals.Exp(x - alpha);

        public static Vector128<float> Apply(Vector128<float> x, Vector128<float> alpha) => Transcendentals.Exp(x - alpha);

        public static float Apply(float x, float alpha) => Transcendentals.Exp(x - alpha);
    }

    /// <summary>
    /// Runs <typeparamref name="TRule"/> over (x, y) lane by lane, writing <c>x</c> (the first operand, updated in
    /// place) and <c>result</c>, flushed to zero where denormal (see <see cref="Denormals"/>); one loop for every
    /// width, specialized per rule by the JIT.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Elementwise<TRule>(Span<float> x, ReadOnlySpan<float> y, Span<float> result, float alpha)
        where TRule : struct, IElementRule
    {
        var length = x.Length;
        y = y[..length];
        result = result[..length];
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var yr = ref MemoryMarshal.GetReference(y);
        ref var rr = ref MemoryMarshal.GetReference(result);
        var i = 0;
        if (_width == VectorWidth.V512)
        {
            var a = Vector512.Create(alpha);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var xv = Vector512.LoadUnsafe(ref xr, (nuint)i);
                var rv = Denormals.Flush(TRule.Apply(ref xv, Vector512.LoadUnsafe(ref yr, (nuint)i), a));
                xv.StoreUnsafe(ref xr, (nuint)i);
                rv.StoreUnsafe(ref rr, (nuint)i);
            }
        }

        if (Wide)
        {
            var a = Vector256.Create(alpha);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var rv = Denormals.Flush(TRule.Apply(ref xv, Vector256.LoadUnsafe(ref yr, (nuint)i), a));
                xv.StoreUnsafe(ref xr, (nuint)i);
                rv.StoreUnsafe(ref rr, (nuint)i);
            }
        }

        if (Vectorized)
        {
            var a = Vector128.Create(alpha);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var xv = Vector128.LoadUnsafe(ref xr, (nuint)i);
                var rv = Denormals.Flush(TRule.Apply(ref xv, Vector128.LoadUnsafe(ref yr, (nuint)i), a));
                xv.StoreUnsafe(ref xr, (nuint)i);
                rv.StoreUnsafe(ref rr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            var xs = x[i];
            var rs = Denormals.Flush(TRule.Apply(ref xs, y[i], alpha));
            x[i] = xs;
            result[i] = rs;
        }
    }

    /// <summary>A lane-wise rule: may update its first operand, returns the result lane.</summary>
    private interface IElementRule
    {
        static abstract Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha);

        static abstract Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha);

        static abstract Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha);

        static abstract float Apply(ref float x, float y, float alpha);
    }

    /// <summary>z += bias; a = max(z, 0).</summary>
    private readonly struct BiasReLU : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha)
        {
            x += y;
            return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, Vector512<float>.Zero);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha)
        {
            x += y;
            return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha)
        {
            x += y;
            return Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, Vector128<float>.Zero);
        }

        public static float Apply(ref float x, float y, float alpha)
        {
            x += y;
            return x > 0 ? x : 0f;
        }
    }

    /// <summary>z += bias; a = z &gt; 0 ? z : alpha·z.</summary>
    private readonly struct BiasLeakyReLU : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha)
        {
            x += y;
            return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * alpha);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha)
        {
            x += y;
            return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * alpha);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha)
        {
            x += y;
            return Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, x * alpha);
        }

        public static float Apply(ref float x, float y, float alpha)
        {
            x += y;
            return x > 0 ? x : alpha * x;
        }
    }

    /// <summary>z += bias; a = z.</summary>
    private readonly struct BiasLinear : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha) => x += y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha) => x += y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha) => x += y;

        public static float Apply(ref float x, float y, float alpha) => x += y;
    }

    /// <summary>g = z &gt; 0 ? g : 0 (x is the gradient, y the pre-activation).</summary>
    private readonly struct ReLUGradient : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha) =>
            x = Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), x, Vector512<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha) =>
            x = Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), x, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha) =>
            x = Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), x, Vector128<float>.Zero);

        public static float Apply(ref float x, float y, float alpha) => x = y > 0 ? x : 0f;
    }

    /// <summary>g = z &gt; 0 ? g : alpha·g.</summary>
    private readonly struct LeakyReLUGradient : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha) =>
            x = Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), x, x * alpha);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha) =>
            x = Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), x, x * alpha);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha) =>
            x = Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), x, x * alpha);

        public static float Apply(ref float x, float y, float alpha) => x = y > 0 ? x : alpha * x;
    }

    /// <summary>g ·= 1 - a² (y is the activation output).</summary>
    private readonly struct TanhGradient : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha) =>
            x *= Vector512<float>.One - y * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha) =>
            x *= Vector256<float>.One - y * y;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha) =>
            x *= Vector128<float>.One - y * y;

        public static float Apply(ref float x, float y, float alpha) => x *= 1f - y * y;
    }

    /// <summary>g ·= a·(1 - a).</summary>
    private readonly struct SigmoidGradient : IElementRule
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Apply(ref Vector512<float> x, Vector512<float> y, Vector512<float> alpha) =>
            x *= y * (Vector512<float>.One - y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Apply(ref Vector256<float> x, Vector256<float> y, Vector256<float> alpha) =>
            x *= y * (Vector256<float>.One - y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Apply(ref Vector128<float> x, Vector128<float> y, Vector128<float> alpha) =>
            x *= y * (Vector128<float>.One - y);

        public static float Apply(ref float x, float y, float alpha) => x *= y * (1f - y);
    }
}
