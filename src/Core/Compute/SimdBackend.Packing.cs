using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SegaLearn.Compute;

/// <remarks>
/// Packing only moves values, so every packer gives the same panel bits; the transposing ones use AVX 8x8 register
/// transposes on the Vector256 and Vector512 paths because a strided scalar gather cost as much as the products it fed (e.g. 8% of
/// the 512x2048x2048 products of W-WIDE). A-panel packers on that path also drop every depth index p at which all
/// six rows are zero (see <see cref="PackRowsSkippingZeros"/>).
/// </remarks>
public sealed unsafe partial class SimdBackend
{
    /// <summary>
    /// Packs <paramref name="count"/> (≤ <paramref name="lanes"/>) contiguous values per p, zero-padding to
    /// <paramref name="lanes"/>: A panels, and the last, partial B panel (full ones go through <see cref="PackRowPanels"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows(float* source, int stride, int count, int depth, int lanes, float* destination)
    {
        if (count == MR && lanes == MR)
        {
            for (var p = 0; p < depth; p++)
            {
                var s = source + (long)p * stride;
                var d = destination + p * MR;
                Vector128.Store(Vector128.Load(s), d);
                d[4] = s[4];
                d[5] = s[5];
            }

            return;
        }

        for (var p = 0; p < depth; p++)
        {
            var s = source + (long)p * stride;
            var d = destination + p * lanes;
            var q = 0;
            for (; q < count; q++)
            {
                d[q] = s[q];
            }

            for (; q < lanes; q++)
            {
                d[q] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs <paramref name="panels"/> full 16-column B panels side by side, 16 rows of B at a time: those rows are
    /// read across all panels while they sit in L2, and each panel gets 16 consecutive rows (1 KB) in one go. Going a
    /// whole row at a time instead stored 64 bytes per panel, panels 16 KB apart (as many pages per row as panels);
    /// going one panel down all rows read a new page per row for wide B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowPanels(float* source, int stride, int panels, int depth, float* destination)
    {
        const int RowsPerPass = 16;
        var panelStride = (long)NR * depth;
        for (var p0 = 0; p0 < depth; p0 += RowsPerPass)
        {
            var rows = Math.Min(RowsPerPass, depth - p0);
            for (var panel = 0; panel < panels; panel++)
            {
                var s = source + (long)p0 * stride + panel * NR;
                var d = destination + panel * panelStride + p0 * NR;
                for (var r = 0; r < rows; r++)
                {
                    Vector256.Store(Vector256.Load(s), d);
                    Vector256.Store(Vector256.Load(s + 8), d + 8);
                    s += stride;
                    d += NR;
                }
            }
        }
    }

    /// <summary>
    /// Packs a full 6-row A panel of contiguous values per p like <see cref="PackRows"/>, but keeps only the p at
    /// which some row is non-zero, writing them densely and their p into <paramref name="kept"/>; returns how many.
    /// </summary>
    /// <remarks>
    /// Skipping p changes no bit of the product: each dropped term is a product with 0, i.e. ±0, and adding ±0 to a
    /// sum that starts at +0 leaves it unchanged. (Only 0·∞ or 0·NaN in B, which would poison the sum in a dense
    /// product, is ignored, as the reference BLAS does when it skips zeros.) Image inputs make this pay: in
    /// Fashion-MNIST 31% of the (six adjacent pixels, sample) groups are all zero, which W-FMNIST's weight gradient
    /// X^T·dZ sweeps.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackRowsSkippingZeros(float* source, int stride, int depth, float* destination, int* kept)
    {
        var count = 0;
        for (var p = 0; p < depth; p++)
        {
            var s = source + (long)p * stride;
            var low = Vector128.Load(s);
            var high = Vector128.Load(s + 2);
            var d = destination + count * MR;
            low.Store(d);
            high.Store(d + 2);
            kept[count] = p;
            count += Vector128.EqualsAll(low, Vector128<float>.Zero) && Vector128.EqualsAll(high, Vector128<float>.Zero) ? 0 : 1;
        }

        return count;
    }

    /// <summary>Packs <paramref name="count"/> rows of <paramref name="depth"/> contiguous values, interleaved by p, zero-padding missing rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposed(float* source, int stride, int count, int depth, int lanes, float* destination, bool avx)
    {
        if (count == NR && lanes == NR)
        {
            var p = 0;
            if (avx)
            {
                for (; p <= depth - 8; p += 8)
                {
                    Transpose8x8(source + p, stride, destination + p * NR, NR);
                    Transpose8x8(source + 8L * stride + p, stride, destination + p * NR + 8, NR);
                }
            }

            for (; p < depth; p++)
            {
                var d = destination + p * NR;
                var s = source + p;
                for (var q = 0; q < NR; q++)
                {
                    d[q] = s[(long)q * stride];
                }
            }

            return;
        }

        if (count == MR && lanes == MR)
        {
            float* s0 = source, s1 = s0 + stride, s2 = s1 + stride, s3 = s2 + stride, s4 = s3 + stride, s5 = s4 + stride;
            for (var p = 0; p < depth; p++)
            {
                var d = destination + p * MR;
                d[0] = s0[p];
                d[1] = s1[p];
                d[2] = s2[p];
                d[3] = s3[p];
                d[4] = s4[p];
                d[5] = s5[p];
            }

            return;
        }

        for (var q = 0; q < lanes; q++)
        {
            var d = destination + q;
            if (q >= count)
            {
                for (var p = 0; p < depth; p++)
                {
                    d[p * lanes] = 0f;
                }

                continue;
            }

            var s = source + (long)q * stride;
            for (var p = 0; p < depth; p++)
            {
                d[p * lanes] = s[p];
            }
        }
    }

    /// <summary>
    /// The transposing twin of <see cref="PackRowsSkippingZeros"/> (needs AVX): six rows of <paramref name="depth"/>
    /// contiguous values, anywhere in memory, interleaved by p, keeping only the p at which some row is non-zero;
    /// returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PackTransposedSkippingZeros(float* s0, float* s1, float* s2, float* s3, float* s4, float* s5, int depth, float* destination, int* kept)
    {
        var count = 0;
        var p = 0;

        // An 8-lane store at slot `count` spills two lanes into slot count+1, which a later p overwrites or the count
        // excludes; stopping 8 short of the end keeps the spill inside this panel.
        for (; p + 8 < depth; p += 8)
        {
            var t0 = Avx.UnpackLow(Vector256.Load(s0 + p), Vector256.Load(s1 + p));
            var t1 = Avx.UnpackHigh(Vector256.Load(s0 + p), Vector256.Load(s1 + p));
            var t2 = Avx.UnpackLow(Vector256.Load(s2 + p), Vector256.Load(s3 + p));
            var t3 = Avx.UnpackHigh(Vector256.Load(s2 + p), Vector256.Load(s3 + p));
            var t4 = Avx.UnpackLow(Vector256.Load(s4 + p), Vector256.Load(s5 + p));
            var t5 = Avx.UnpackHigh(Vector256.Load(s4 + p), Vector256.Load(s5 + p));
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, Vector256<float>.Zero, 0x44);
            var u5 = Avx.Shuffle(t4, Vector256<float>.Zero, 0xEE);
            var u6 = Avx.Shuffle(t5, Vector256<float>.Zero, 0x44);
            var u7 = Avx.Shuffle(t5, Vector256<float>.Zero, 0xEE);
            count = KeepColumn(Avx.Permute2x128(u0, u4, 0x20), p, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u1, u5, 0x20), p + 1, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u2, u6, 0x20), p + 2, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u3, u7, 0x20), p + 3, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u0, u4, 0x31), p + 4, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u1, u5, 0x31), p + 5, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u2, u6, 0x31), p + 6, destination, kept, count);
            count = KeepColumn(Avx.Permute2x128(u3, u7, 0x31), p + 7, destination, kept, count);
        }

        for (; p < depth; p++)
        {
            var d = destination + count * MR;
            d[0] = s0[p];
            d[1] = s1[p];
            d[2] = s2[p];
            d[3] = s3[p];
            d[4] = s4[p];
            d[5] = s5[p];
            kept[count] = p;
            count += d[0] == 0f && d[1] == 0f && d[2] == 0f && d[3] == 0f && d[4] == 0f && d[5] == 0f ? 0 : 1;
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int KeepColumn(Vector256<float> column, int p, float* destination, int* kept, int count)
    {
        column.Store(destination + count * MR);
        kept[count] = p;
        return count + (Vector256.EqualsAll(column, Vector256<float>.Zero) ? 0 : 1);
    }

    /// <summary>
    /// Writes the transpose of the 8x8 block at <paramref name="source"/> (rows <paramref name="stride"/> apart) to
    /// rows <paramref name="pitch"/> apart: destination[j·pitch + r] = source[r·stride + j].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, int stride, float* destination, int pitch)
    {
        var r0 = Vector256.Load(source);
        var r1 = Vector256.Load(source + stride);
        var r2 = Vector256.Load(source + 2L * stride);
        var r3 = Vector256.Load(source + 3L * stride);
        var r4 = Vector256.Load(source + 4L * stride);
        var r5 = Vector256.Load(source + 5L * stride);
        var r6 = Vector256.Load(source + 6L * stride);
        var r7 = Vector256.Load(source + 7L * stride);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(destination);
        Avx.Permute2x128(u1, u5, 0x20).Store(destination + pitch);
        Avx.Permute2x128(u2, u6, 0x20).Store(destination + 2 * pitch);
        Avx.Permute2x128(u3, u7, 0x20).Store(destination + 3 * pitch);
        Avx.Permute2x128(u0, u4, 0x31).Store(destination + 4 * pitch);
        Avx.Permute2x128(u1, u5, 0x31).Store(destination + 5 * pitch);
        Avx.Permute2x128(u2, u6, 0x31).Store(destination + 6 * pitch);
        Avx.Permute2x128(u3, u7, 0x31).Store(destination + 7 * pitch);
    }
}
