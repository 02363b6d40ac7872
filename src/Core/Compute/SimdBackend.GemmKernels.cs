using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SegaLearn.Compute;

public sealed partial class SimdBackend
{
    /// <summary>
    /// C[6x16] (= or +=) Σ_p A[:, p]·B[p, :] over packed panels (A: 6 values per p, B: 16 values per p), each sum a
    /// chain of fused multiply-adds in p order from +0. The Vector256 path keeps all 96 sums in 12 registers; the
    /// others compute the same chains narrower (Vector128 fuses in software where the processor cannot).
    /// With <paramref name="kept"/>, A holds only <paramref name="kc"/> of the p (those listed), the others being zero.
    /// With <paramref name="rows"/> (Vector256 and Vector512 only), tile row r is C's row <c>rows[r]</c> instead of r.
    /// </summary>
    private static unsafe void MicroKernel(VectorWidth width, int kc, float* a, int* kept, float* b, float* c, int ldc, bool accumulate, int* rows = null)
    {
        if (kept is not null)
        {
            Kernel256Kept(kc, a, kept, b, c, ldc, accumulate, rows);
            return;
        }

        switch (width)
        {
            case VectorWidth.V512:
            case VectorWidth.V256:
                Kernel256(kc, a, b, c, ldc, accumulate, rows);
                break;
            case VectorWidth.V128:
                Kernel128(kc, a, b, c, ldc, accumulate);
                Kernel128(kc, a, b + 8, c + 8, ldc, accumulate);
                break;
            default:
                KernelScalar(kc, a, b, c, ldc, accumulate);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel256(int kc, float* a, float* b, float* c, int ldc, bool accumulate, int* rows)
    {
        PrefetchTile(c, ldc, rows);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += MR;
            b += NR;
        }

        Store256(Row(c, ldc, rows, 0), c00, c01, accumulate);
        Store256(Row(c, ldc, rows, 1), c10, c11, accumulate);
        Store256(Row(c, ldc, rows, 2), c20, c21, accumulate);
        Store256(Row(c, ldc, rows, 3), c30, c31, accumulate);
        Store256(Row(c, ldc, rows, 4), c40, c41, accumulate);
        Store256(Row(c, ldc, rows, 5), c50, c51, accumulate);
    }

    /// <summary>The Vector256 kernel over a compacted A panel: the p-th kept row of A meets row kept[p] of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel256Kept(int count, float* a, int* kept, float* b, float* c, int ldc, bool accumulate, int* rows)
    {
        PrefetchTile(c, ldc, rows);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var q = 0; q < count; q++)
        {
            var bp = b + kept[q] * NR;
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += MR;
        }

        Store256(Row(c, ldc, rows, 0), c00, c01, accumulate);
        Store256(Row(c, ldc, rows, 1), c10, c11, accumulate);
        Store256(Row(c, ldc, rows, 2), c20, c21, accumulate);
        Store256(Row(c, ldc, rows, 3), c30, c31, accumulate);
        Store256(Row(c, ldc, rows, 4), c40, c41, accumulate);
        Store256(Row(c, ldc, rows, 5), c50, c51, accumulate);
    }

    /// <summary>
    /// C[6x32] (= or +=) over two adjacent 16-column B panels (<paramref name="b0"/>, <paramref name="b1"/>), all 192
    /// sums in 12 Vector512 registers, each the same chain of fused multiply-adds in p order as in
    /// <see cref="Kernel256"/>. With <paramref name="kept"/>, A holds only <paramref name="kc"/> of the p (those listed).
    /// </summary>
    private static unsafe void Kernel512(int kc, float* a, int* kept, float* b0, float* b1, float* c, int ldc, bool accumulate, int* rows)
    {
        if (kept is null)
        {
            Kernel512<AllDepths>(kc, a, kept, b0, b1, c, ldc, accumulate, rows);
        }
        else
        {
            Kernel512<KeptDepths>(kc, a, kept, b0, b1, c, ldc, accumulate, rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512<TDepths>(int kc, float* a, int* kept, float* b0, float* b1, float* c, int ldc, bool accumulate, int* rows)
        where TDepths : struct, IDepths
    {
        PrefetchTile(c, ldc, rows);
        PrefetchTile(c + NR, ldc, rows);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var q = 0; q < kc; q++)
        {
            var offset = TDepths.Depth(kept, q) * NR;
            var l = Vector512.Load(b0 + offset);
            var h = Vector512.Load(b1 + offset);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, l, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, h, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, l, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, h, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, l, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, h, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, l, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, h, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, l, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, h, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, l, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, h, c51);
            a += MR;
        }

        Store512(Row(c, ldc, rows, 0), c00, c01, accumulate);
        Store512(Row(c, ldc, rows, 1), c10, c11, accumulate);
        Store512(Row(c, ldc, rows, 2), c20, c21, accumulate);
        Store512(Row(c, ldc, rows, 3), c30, c31, accumulate);
        Store512(Row(c, ldc, rows, 4), c40, c41, accumulate);
        Store512(Row(c, ldc, rows, 5), c50, c51, accumulate);
    }

    /// <summary>
    /// C[12x32] (= or +=) over two dense 6-row A panels (<paramref name="a0"/> for rows 0..5, <paramref name="a1"/>
    /// for rows 6..11) and two adjacent 16-column B panels: 24 of the 32 zmm registers hold sums, so each B load
    /// feeds twelve fused multiply-adds. Each sum is the same chain in p order as in <see cref="Kernel256"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel512Tall(int kc, float* a0, float* a1, float* b0, float* b1, float* c, int ldc, bool accumulate, int* rows)
    {
        PrefetchTile(c, ldc, rows);
        PrefetchTile(c + NR, ldc, rows);
        PrefetchTile(c + MR * ldc, ldc, rows is null ? null : rows + MR);
        PrefetchTile(c + MR * ldc + NR, ldc, rows is null ? null : rows + MR);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (var p = 0; p < kc; p++)
        {
            var l = Vector512.Load(b0);
            var h = Vector512.Load(b1);
            var v = Vector512.Create(a0[0]);
            c00 = Vector512.FusedMultiplyAdd(v, l, c00);
            c01 = Vector512.FusedMultiplyAdd(v, h, c01);
            v = Vector512.Create(a0[1]);
            c10 = Vector512.FusedMultiplyAdd(v, l, c10);
            c11 = Vector512.FusedMultiplyAdd(v, h, c11);
            v = Vector512.Create(a0[2]);
            c20 = Vector512.FusedMultiplyAdd(v, l, c20);
            c21 = Vector512.FusedMultiplyAdd(v, h, c21);
            v = Vector512.Create(a0[3]);
            c30 = Vector512.FusedMultiplyAdd(v, l, c30);
            c31 = Vector512.FusedMultiplyAdd(v, h, c31);
            v = Vector512.Create(a0[4]);
            c40 = Vector512.FusedMultiplyAdd(v, l, c40);
            c41 = Vector512.FusedMultiplyAdd(v, h, c41);
            v = Vector512.Create(a0[5]);
            c50 = Vector512.FusedMultiplyAdd(v, l, c50);
            c51 = Vector512.FusedMultiplyAdd(v, h, c51);
            v = Vector512.Create(a1[0]);
            c60 = Vector512.FusedMultiplyAdd(v, l, c60);
            c61 = Vector512.FusedMultiplyAdd(v, h, c61);
            v = Vector512.Create(a1[1]);
            c70 = Vector512.FusedMultiplyAdd(v, l, c70);
            c71 = Vector512.FusedMultiplyAdd(v, h, c71);
            v = Vector512.Create(a1[2]);
            c80 = Vector512.FusedMultiplyAdd(v, l, c80);
            c81 = Vector512.FusedMultiplyAdd(v, h, c81);
            v = Vector512.Create(a1[3]);
            c90 = Vector512.FusedMultiplyAdd(v, l, c90);
            c91 = Vector512.FusedMultiplyAdd(v, h, c91);
            v = Vector512.Create(a1[4]);
            ca0 = Vector512.FusedMultiplyAdd(v, l, ca0);
            ca1 = Vector512.FusedMultiplyAdd(v, h, ca1);
            v = Vector512.Create(a1[5]);
            cb0 = Vector512.FusedMultiplyAdd(v, l, cb0);
            cb1 = Vector512.FusedMultiplyAdd(v, h, cb1);
            a0 += MR;
            a1 += MR;
            b0 += NR;
            b1 += NR;
        }

        Store512(Row(c, ldc, rows, 0), c00, c01, accumulate);
        Store512(Row(c, ldc, rows, 1), c10, c11, accumulate);
        Store512(Row(c, ldc, rows, 2), c20, c21, accumulate);
        Store512(Row(c, ldc, rows, 3), c30, c31, accumulate);
        Store512(Row(c, ldc, rows, 4), c40, c41, accumulate);
        Store512(Row(c, ldc, rows, 5), c50, c51, accumulate);
        Store512(Row(c, ldc, rows, 6), c60, c61, accumulate);
        Store512(Row(c, ldc, rows, 7), c70, c71, accumulate);
        Store512(Row(c, ldc, rows, 8), c80, c81, accumulate);
        Store512(Row(c, ldc, rows, 9), c90, c91, accumulate);
        Store512(Row(c, ldc, rows, 10), ca0, ca1, accumulate);
        Store512(Row(c, ldc, rows, 11), cb0, cb1, accumulate);
    }

    /// <summary>Which depth index of B the q-th row of a packed A panel meets.</summary>
    private unsafe interface IDepths
    {
        static abstract int Depth(int* kept, int q);
    }

    /// <summary>A dense panel: the q-th row is depth q.</summary>
    private readonly unsafe struct AllDepths : IDepths
    {
        public static int Depth(int* kept, int q) => q;
    }

    /// <summary>A compacted panel: the q-th row is depth kept[q].</summary>
    private readonly unsafe struct KeptDepths : IDepths
    {
        public static int Depth(int* kept, int q) => kept[q];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512(float* c, Vector512<float> left, Vector512<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector512.Load(c);
            right += Vector512.Load(c + NR);
        }

        left.Store(c);
        right.Store(c + NR);
    }

    /// <summary>The tile of C is read and written once per KC slice; fetching it now hides the miss behind the loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchTile(float* c, int ldc, int* rows)
    {
        if (Sse.IsSupported)
        {
            for (var i = 0; i < MR; i++)
            {
                var row = Row(c, ldc, rows, i);
                Sse.Prefetch0(row);
                Sse.Prefetch0(row + 15);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float* Row(float* c, int ldc, int* rows, int r) => rows is null ? c + r * ldc : c + (long)rows[r] * ldc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256(float* c, Vector256<float> left, Vector256<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector256.Load(c);
            right += Vector256.Load(c + 8);
        }

        left.Store(c);
        right.Store(c + 8);
    }

    /// <summary>The 6x8 half of a tile at <paramref name="b"/> (B panel stride 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel128(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 = Vector128.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector128.Create(a[1]);
            c10 = Vector128.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector128.Create(a[2]);
            c20 = Vector128.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector128.Create(a[3]);
            c30 = Vector128.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector128.Create(a[4]);
            c40 = Vector128.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector128.Create(a[5]);
            c50 = Vector128.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(a5, b1, c51);
            a += MR;
            b += NR;
        }

        Store128(c, c00, c01, accumulate);
        Store128(c + ldc, c10, c11, accumulate);
        Store128(c + 2 * ldc, c20, c21, accumulate);
        Store128(c + 3 * ldc, c30, c31, accumulate);
        Store128(c + 4 * ldc, c40, c41, accumulate);
        Store128(c + 5 * ldc, c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store128(float* c, Vector128<float> left, Vector128<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector128.Load(c);
            right += Vector128.Load(c + 4);
        }

        left.Store(c);
        right.Store(c + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void KernelScalar(int kc, float* a, float* b, float* c, int ldc, bool accumulate)
    {
        var sums = stackalloc float[MR * NR];
        new Span<float>(sums, MR * NR).Clear();
        for (var p = 0; p < kc; p++)
        {
            for (var i = 0; i < MR; i++)
            {
                var ai = a[i];
                var row = sums + i * NR;
                for (var j = 0; j < NR; j++)
                {
                    row[j] = MathF.FusedMultiplyAdd(ai, b[j], row[j]);
                }
            }

            a += MR;
            b += NR;
        }

        for (var i = 0; i < MR; i++)
        {
            for (var j = 0; j < NR; j++)
            {
                var sum = sums[i * NR + j];
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
            }
        }
    }

    /// <summary>
    /// Small products with B not transposed, row by row without packing: C[i, j..] = Σ_p op(A)[i, p]·B[p, j..],
    /// sums in registers over the whole of k, in p order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectRows(VectorWidth width, bool transposeA, int m, int n, int k, float* a, float* b, float* c, bool accumulate)
    {
        long rowStep = transposeA ? 1 : k, depthStep = transposeA ? m : 1;
        for (var i = 0; i < m; i++)
        {
            var ai = a + i * rowStep;
            var ci = c + (long)i * n;
            var j = 0;
            if (width is VectorWidth.V512 or VectorWidth.V256)
            {
                for (; j <= n - 32; j += 32)
                {
                    Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += n)
                    {
                        var av = Vector256.Create(ai[p * depthStep]);
                        s0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp), s0);
                        s1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp + 8), s1);
                        s2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp + 16), s2);
                        s3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(bp + 24), s3);
                    }

                    Store256(ci + j, s0, s1, accumulate);
                    Store256(ci + j + 16, s2, s3, accumulate);
                }

                for (; j <= n - 8; j += 8)
                {
                    var s0 = Vector256<float>.Zero;
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += n)
                    {
                        s0 = Vector256.FusedMultiplyAdd(Vector256.Create(ai[p * depthStep]), Vector256.Load(bp), s0);
                    }

                    if (accumulate)
                    {
                        s0 += Vector256.Load(ci + j);
                    }

                    s0.Store(ci + j);
                }
            }

            if (width != VectorWidth.Scalar)
            {
                for (; j <= n - 4; j += 4)
                {
                    var s0 = Vector128<float>.Zero;
                    var bp = b + j;
                    for (var p = 0; p < k; p++, bp += n)
                    {
                        s0 = Vector128.FusedMultiplyAdd(Vector128.Create(ai[p * depthStep]), Vector128.Load(bp), s0);
                    }

                    if (accumulate)
                    {
                        s0 += Vector128.Load(ci + j);
                    }

                    s0.Store(ci + j);
                }
            }

            for (; j < n; j++)
            {
                var sum = 0f;
                var bp = b + j;
                for (var p = 0; p < k; p++, bp += n)
                {
                    sum = MathF.FusedMultiplyAdd(ai[p * depthStep], *bp, sum);
                }

                ci[j] = accumulate ? ci[j] + sum : sum;
            }
        }
    }

    /// <summary>
    /// Small products A·Bᵀ as dot products of contiguous rows, C[i, j] = Σ_p A[i, p]·B[j, p], each summed in
    /// <see cref="FixedOrder"/>'s order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectDots(VectorWidth width, int m, int n, int k, float* a, float* b, float* c, bool accumulate)
    {
        for (var i = 0; i < m; i++)
        {
            var ai = new ReadOnlySpan<float>(a + (long)i * k, k);
            for (var j = 0; j < n; j++)
            {
                var sum = FixedOrder.Dot(width, ai, new ReadOnlySpan<float>(b + (long)j * k, k));
                var cij = c + (long)i * n + j;
                *cij = accumulate ? *cij + sum : sum;
            }
        }
    }
}
