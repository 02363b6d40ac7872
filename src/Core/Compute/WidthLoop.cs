using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>
/// One loop per operator shape for every element-wise kernel and optimizer (as TensorPrimitives' InvokeSpanIntoSpan):
/// Vector512 steps on the V512 path, then Vector256 steps for what is left, then Vector128, then a scalar tail. The
/// operator writes its formula once per width with the same operations in the same order, so where an element falls
/// (which width, which lane, which thread's chunk) changes no bit; the JIT specializes each loop per operator struct.
/// </summary>
internal static unsafe class WidthLoop
{
    /// <summary><c>destination[i] = op(x[i])</c>; <paramref name="destination"/> may be <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Map<TOp>(VectorWidth width, TOp op, ReadOnlySpan<float> x, Span<float> destination)
        where TOp : struct, IUnaryOperator
    {
        var length = x.Length;
        destination = destination[..length];
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var dr = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (width == VectorWidth.V512)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                op.Invoke(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                op.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                op.Invoke(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i));
        }
    }

    /// <summary><c>destination[i] = op(x[i], y[i])</c>; <paramref name="destination"/> may be <paramref name="x"/> or <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Zip<TOp>(VectorWidth width, TOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
        where TOp : struct, IBinaryOperator
    {
        var length = x.Length;
        y = y[..length];
        destination = destination[..length];
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var yr = ref MemoryMarshal.GetReference(y);
        ref var dr = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (width == VectorWidth.V512)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                op.Invoke(Vector512.LoadUnsafe(ref xr, (nuint)i), Vector512.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                op.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i), Vector256.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                op.Invoke(Vector128.LoadUnsafe(ref xr, (nuint)i), Vector128.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref dr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref dr, i) = op.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
        }
    }

    /// <summary>
    /// <c>z[i] += bias[i]; output[i] = op(z[i])</c> in one pass: a layer's bias and activation, with the pre-activation
    /// kept (unflushed) for the backward pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddMap<TOp>(VectorWidth width, TOp op, Span<float> z, ReadOnlySpan<float> bias, Span<float> output)
        where TOp : struct, IUnaryOperator
    {
        var length = z.Length;
        bias = bias[..length];
        output = output[..length];
        ref var zr = ref MemoryMarshal.GetReference(z);
        ref var br = ref MemoryMarshal.GetReference(bias);
        ref var or = ref MemoryMarshal.GetReference(output);
        var i = 0;
        if (width == VectorWidth.V512)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var sum = Vector512.LoadUnsafe(ref zr, (nuint)i) + Vector512.LoadUnsafe(ref br, (nuint)i);
                sum.StoreUnsafe(ref zr, (nuint)i);
                op.Invoke(sum).StoreUnsafe(ref or, (nuint)i);
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var sum = Vector256.LoadUnsafe(ref zr, (nuint)i) + Vector256.LoadUnsafe(ref br, (nuint)i);
                sum.StoreUnsafe(ref zr, (nuint)i);
                op.Invoke(sum).StoreUnsafe(ref or, (nuint)i);
            }
        }

        if (width != VectorWidth.Scalar)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var sum = Vector128.LoadUnsafe(ref zr, (nuint)i) + Vector128.LoadUnsafe(ref br, (nuint)i);
                sum.StoreUnsafe(ref zr, (nuint)i);
                op.Invoke(sum).StoreUnsafe(ref or, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            var sum = Unsafe.Add(ref zr, i) + Unsafe.Add(ref br, i);
            Unsafe.Add(ref zr, i) = sum;
            Unsafe.Add(ref or, i) = op.Invoke(sum);
        }
    }

    /// <summary>
    /// Runs the update rule over elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>)
    /// of the weights, gradient and the rule's state arrays (null where the rule has none), handing each chunk to the sink
    /// when it is done.
    /// </summary>
    public static void Update<TOp, TSink>(VectorWidth width, TOp op, TSink sink, float* w, float* g, float* s1, float* s2, int start, int length)
        where TOp : struct, IUpdateOperator
        where TSink : struct, IChunkSink
    {
        var end = start + length;
        for (var chunk = start; chunk < end;)
        {
            var count = Math.Min(TSink.Chunk, end - chunk);
            UpdateChunk(width, op, w + chunk, g + chunk, s1 + chunk, s2 + chunk, count);
            sink.Take(chunk, count);
            chunk += count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateChunk<TOp>(VectorWidth width, TOp op, float* w, float* g, float* s1, float* s2, int length)
        where TOp : struct, IUpdateOperator
    {
        var i = 0;
        if (width == VectorWidth.V512)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var wv = Vector512.Load(w + i);
                var first = TOp.States > 0 ? Vector512.Load(s1 + i) : default;
                var second = TOp.States > 1 ? Vector512.Load(s2 + i) : default;
                op.Invoke(ref wv, Vector512.Load(g + i), ref first, ref second);
                wv.Store(w + i);
                if (TOp.States > 0)
                {
                    first.Store(s1 + i);
                }

                if (TOp.States > 1)
                {
                    second.Store(s2 + i);
                }
            }
        }

        if (width is VectorWidth.V512 or VectorWidth.V256)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var wv = Vector256.Load(w + i);
                var first = TOp.States > 0 ? Vector256.Load(s1 + i) : default;
                var second = TOp.States > 1 ? Vector256.Load(s2 + i) : default;
                op.Invoke(ref wv, Vector256.Load(g + i), ref first, ref second);
                wv.Store(w + i);
                if (TOp.States > 0)
                {
                    first.Store(s1 + i);
                }

                if (TOp.States > 1)
                {
                    second.Store(s2 + i);
                }
            }
        }

        if (width != VectorWidth.Scalar)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var wv = Vector128.Load(w + i);
                var first = TOp.States > 0 ? Vector128.Load(s1 + i) : default;
                var second = TOp.States > 1 ? Vector128.Load(s2 + i) : default;
                op.Invoke(ref wv, Vector128.Load(g + i), ref first, ref second);
                wv.Store(w + i);
                if (TOp.States > 0)
                {
                    first.Store(s1 + i);
                }

                if (TOp.States > 1)
                {
                    second.Store(s2 + i);
                }
            }
        }

        for (; i < length; i++)
        {
            var first = TOp.States > 0 ? s1[i] : 0f;
            var second = TOp.States > 1 ? s2[i] : 0f;
            op.Invoke(ref w[i], g[i], ref first, ref second);
            if (TOp.States > 0)
            {
                s1[i] = first;
            }

            if (TOp.States > 1)
            {
                s2[i] = second;
            }
        }
    }
}
