using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <remarks>
/// Products with at most 16 columns (a classifier's 10 outputs): B fits one zero-padded panel, so A is used once and
/// packing it cost as much as the product (W-WIDE's 512x10x2048 ran at 25 GFLOP/s). The narrow path packs only B
/// and reads A in place, six rows at a time, summing over all of k in registers, in p order.
/// </remarks>
public sealed unsafe partial class SimdBackend
{
    /// <summary>Rows of C per task of a threaded narrow product.</summary>
    private const int NarrowRowsPerTask = 8 * MR;

    [ThreadStatic]
    private static NarrowJob? t_narrow;

    private void MultiplyNarrow(bool transposeA, int m, int n, int k, float* a, float* b, float* c, bool accumulate, Epilogue? epilogue)
    {
        var job = t_narrow ??= new NarrowJob();
        job.Set(_width, transposeA, m, n, k, a, b, c, accumulate);
        Execute(job, (long)m * n * k >= ParallelLimit);
        epilogue?.Apply(c, n, 0, m, 0, n);
    }

    private sealed class NarrowJob : IParallelWork, IThreadedJob
    {
        private float[] _panel = [];
        private VectorWidth _width;
        private bool _transposeA;
        private int _m;
        private int _n;
        private int _k;
        private float* _a;
        private float* _c;
        private bool _accumulate;

        public void Set(VectorWidth width, bool transposeA, int m, int n, int k, float* a, float* b, float* c, bool accumulate)
        {
            (_width, _transposeA, _m, _n, _k, _accumulate) = (width, transposeA, m, n, k, accumulate);
            _a = a;
            _c = c;
            if (_panel.Length < k * NR)
            {
                _panel = GC.AllocateUninitializedArray<float>(k * NR, pinned: true);
            }

            fixed (float* panel = _panel)
            {
                PackRows(b, n, n, k, NR, panel);
            }
        }

        public void Execute(ComputeWorkers? workers)
        {
            var tasks = (_m + NarrowRowsPerTask - 1) / NarrowRowsPerTask;
            if (workers is not null)
            {
                workers.Run(this, tasks);
                return;
            }

            for (var t = 0; t < tasks; t++)
            {
                Run(t);
            }
        }

        public void Run(int task)
        {
            var rowStep = _transposeA ? 1 : (nint)_k;
            var depthStep = _transposeA ? (nint)_m : 1;
            var end = Math.Min(_m, (task + 1) * NarrowRowsPerTask);
            var tile = stackalloc float[MR * NR];
            fixed (float* panel = _panel)
            {
                for (var i = task * NarrowRowsPerTask; i < end; i += MR)
                {
                    var height = Math.Min(MR, end - i);
                    var a = _a + i * rowStep;
                    var c = _c + (long)i * _n;
                    if (height == MR && _n == NR)
                    {
                        KernelNarrow(_width, _k, a, rowStep, depthStep, MR, panel, c, _n, _accumulate);
                        continue;
                    }

                    KernelNarrow(_width, _k, a, rowStep, depthStep, height, panel, tile, NR, false);
                    for (var r = 0; r < height; r++)
                    {
                        var row = c + (long)r * _n;
                        var source = tile + r * NR;
                        for (var q = 0; q < _n; q++)
                        {
                            row[q] = _accumulate ? row[q] + source[q] : source[q];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[6x16] (= or +=) Σ_p A[r, p]·B[p, :] with A read in place (element (r, p) at r·rowStep + p·depthStep) and B a
    /// packed 16-wide panel, each sum one chain of fused multiply-adds over all of k in p order, in every width; rows
    /// past <paramref name="height"/> repeat row 0 and are computed but not wanted.
    /// </summary>
    private static void KernelNarrow(VectorWidth width, int k, float* a, nint rowStep, nint depthStep, int height, float* b, float* c, int ldc, bool accumulate)
    {
        switch (width)
        {
            case VectorWidth.V512:
            case VectorWidth.V256:
                KernelNarrow256(k, a, rowStep, depthStep, height, b, c, ldc, accumulate);
                break;
            case VectorWidth.V128:
                KernelNarrow128(k, a, rowStep, depthStep, height, b, c, ldc, accumulate);
                KernelNarrow128(k, a, rowStep, depthStep, height, b + 8, c + 8, ldc, accumulate);
                break;
            default:
                KernelNarrowScalar(k, a, rowStep, depthStep, height, b, c, ldc, accumulate);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelNarrow256(int k, float* a, nint rowStep, nint depthStep, int height, float* b, float* c, int ldc, bool accumulate)
    {
        float* a0 = a;
        float* a1 = height > 1 ? a + rowStep : a;
        float* a2 = height > 2 ? a + 2 * rowStep : a;
        float* a3 = height > 3 ? a + 3 * rowStep : a;
        float* a4 = height > 4 ? a + 4 * rowStep : a;
        float* a5 = height > 5 ? a + 5 * rowStep : a;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint offset = 0;
        for (var p = 0; p < k; p++, offset += depthStep)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var v0 = Vector256.Create(a0[offset]);
            c00 = Vector256.MultiplyAddEstimate(v0, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(v0, b1, c01);
            var v1 = Vector256.Create(a1[offset]);
            c10 = Vector256.MultiplyAddEstimate(v1, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(v1, b1, c11);
            var v2 = Vector256.Create(a2[offset]);
            c20 = Vector256.MultiplyAddEstimate(v2, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(v2, b1, c21);
            var v3 = Vector256.Create(a3[offset]);
            c30 = Vector256.MultiplyAddEstimate(v3, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(v3, b1, c31);
            var v4 = Vector256.Create(a4[offset]);
            c40 = Vector256.MultiplyAddEstimate(v4, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(v4, b1, c41);
            var v5 = Vector256.Create(a5[offset]);
            c50 = Vector256.MultiplyAddEstimate(v5, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(v5, b1, c51);
            b += NR;
        }

        Store256(c, c00, c01, accumulate);
        Store256(c + ldc, c10, c11, accumulate);
        Store256(c + 2 * ldc, c20, c21, accumulate);
        Store256(c + 3 * ldc, c30, c31, accumulate);
        Store256(c + 4 * ldc, c40, c41, accumulate);
        Store256(c + 5 * ldc, c50, c51, accumulate);
    }

    /// <summary>The 6x8 half of a narrow tile at <paramref name="b"/> (B panel stride 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelNarrow128(int k, float* a, nint rowStep, nint depthStep, int height, float* b, float* c, int ldc, bool accumulate)
    {
        float* a0 = a;
        float* a1 = height > 1 ? a + rowStep : a;
        float* a2 = height > 2 ? a + 2 * rowStep : a;
        float* a3 = height > 3 ? a + 3 * rowStep : a;
        float* a4 = height > 4 ? a + 4 * rowStep : a;
        float* a5 = height > 5 ? a + 5 * rowStep : a;
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint offset = 0;
        for (var p = 0; p < k; p++, offset += depthStep)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var v0 = Vector128.Create(a0[offset]);
            c00 = Vector128.FusedMultiplyAdd(v0, b0, c00);
            c01 = Vector128.FusedMultiplyAdd(v0, b1, c01);
            var v1 = Vector128.Create(a1[offset]);
            c10 = Vector128.FusedMultiplyAdd(v1, b0, c10);
            c11 = Vector128.FusedMultiplyAdd(v1, b1, c11);
            var v2 = Vector128.Create(a2[offset]);
            c20 = Vector128.FusedMultiplyAdd(v2, b0, c20);
            c21 = Vector128.FusedMultiplyAdd(v2, b1, c21);
            var v3 = Vector128.Create(a3[offset]);
            c30 = Vector128.FusedMultiplyAdd(v3, b0, c30);
            c31 = Vector128.FusedMultiplyAdd(v3, b1, c31);
            var v4 = Vector128.Create(a4[offset]);
            c40 = Vector128.FusedMultiplyAdd(v4, b0, c40);
            c41 = Vector128.FusedMultiplyAdd(v4, b1, c41);
            var v5 = Vector128.Create(a5[offset]);
            c50 = Vector128.FusedMultiplyAdd(v5, b0, c50);
            c51 = Vector128.FusedMultiplyAdd(v5, b1, c51);
            b += NR;
        }

        Store128(c, c00, c01, accumulate);
        Store128(c + ldc, c10, c11, accumulate);
        Store128(c + 2 * ldc, c20, c21, accumulate);
        Store128(c + 3 * ldc, c30, c31, accumulate);
        Store128(c + 4 * ldc, c40, c41, accumulate);
        Store128(c + 5 * ldc, c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelNarrowScalar(int k, float* a, nint rowStep, nint depthStep, int height, float* b, float* c, int ldc, bool accumulate)
    {
        var sums = stackalloc float[MR * NR];
        new Span<float>(sums, MR * NR).Clear();
        for (var r = 0; r < MR; r++)
        {
            var ar = r < height ? a + r * rowStep : a;
            var row = sums + r * NR;
            nint offset = 0;
            for (var p = 0; p < k; p++, offset += depthStep)
            {
                var value = ar[offset];
                var bp = b + p * NR;
                for (var j = 0; j < NR; j++)
                {
                    row[j] = MathF.FusedMultiplyAdd(value, bp[j], row[j]);
                }
            }

            var destination = c + r * ldc;
            for (var j = 0; j < NR; j++)
            {
                destination[j] = accumulate ? destination[j] + row[j] : row[j];
            }
        }
    }
}
