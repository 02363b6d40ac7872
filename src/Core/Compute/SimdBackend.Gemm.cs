using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

public sealed partial class SimdBackend
{
    /// <summary>Rows of a packed A panel and of the micro-kernel's tile.</summary>
    private const int MR = 6;

    /// <summary>Columns of a packed B panel and of the micro-kernel's tile (two Vector256).</summary>
    private const int NR = 16;

    /// <summary>Depth of one packed block: a 16-column B panel of KC rows (16 KB) stays in L1.</summary>
    private const int KC = 256;

    /// <summary>Rows of A a task sweeps: MC x KC floats (96 KB) stay in L2 while the B panels stream by.</summary>
    private const int MC = 96;

    /// <summary>Columns of the packed B block (KC x NC floats, 2 MB) that every task shares from L3.</summary>
    private const int NC = 2048;

    /// <summary>Below this many multiply-adds, packing and threads cost more than they save.</summary>
    private const long DirectLimit = 32L * 32 * 32;

    /// <summary>
    /// Floats of packed panels per pass: a product this small is packed over all of k at once, so it runs in one
    /// packing and one compute pass instead of two passes per KC slice (each pass is a fork and join).
    /// </summary>
    private const long PackedLimit = 1L << 20;

    /// <summary>Below this many multiply-adds a product runs on the calling thread alone.</summary>
    private const long ParallelLimit = 128L * 128 * 64;

    [ThreadStatic]
    private static GemmJob? t_job;

    public unsafe void Gemm(bool transposeA, bool transposeB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, float beta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (beta is not (0f or 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be 0 or 1");
        }

        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"Gemm {m}x{n}x{k}: A holds {a.Length}, B {b.Length}, C {c.Length} values");
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (beta == 0)
            {
                c[..(m * n)].Clear();
            }

            return;
        }

        var accumulate = beta != 0;
        var work = (long)m * n * k;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (work <= DirectLimit && !transposeB)
            {
                DirectRows(_width, transposeA, m, n, k, pa, pb, pc, accumulate);
                return;
            }

            if (work <= DirectLimit && !transposeA && k >= 16)
            {
                DirectDots(_width, m, n, k, pa, pb, pc, accumulate);
                return;
            }

            var job = t_job ??= new GemmJob();
            job.Set(_width, transposeA, transposeB, m, n, k, pa, pb, pc, accumulate);
            var workers = work >= ParallelLimit ? Workers : null;
            if (workers is not null && _runGate.TryEnter())
            {
                try
                {
                    job.Execute(workers);
                }
                finally
                {
                    _runGate.Exit();
                }
            }
            else
            {
                job.Execute(null);
            }
        }
    }

    /// <summary>
    /// One packed product C = op(A)·op(B) (+ C). For each NC-wide column block and each group of KC-deep slices of
    /// k, taken in order, op(B)'s slices are packed into 16-column panels and op(A)'s into 6-row panels (tasks in
    /// parallel), then tasks over disjoint output tiles run the micro-kernel slice after slice. Every element
    /// therefore sums its slices in the same order, and within a slice in k order, whatever thread computes it;
    /// the grouping depends on the shape only.
    /// </summary>
    private sealed unsafe class GemmJob : IParallelWork
    {
        private float[] _packedA = [];
        private float[] _packedB = [];
        private float* _pa;
        private float* _pb;

        private VectorWidth _width;
        private bool _transposeA;
        private bool _transposeB;
        private int _m;
        private int _n;
        private int _k;
        private float* _a;
        private float* _b;
        private float* _c;
        private bool _beta;

        private bool _packing;
        private int _jc;
        private int _nc;
        private int _pc;
        private int _kcStep;
        private int _slices;
        private int _aSlice;
        private int _bSlice;
        private int _bChunks;
        private int _bChunkPanels;
        private int _mBlocks;
        private int _mcStep;
        private int _colChunks;
        private int _chunkPanels;

        public void Set(VectorWidth width, bool transposeA, bool transposeB, int m, int n, int k, float* a, float* b, float* c, bool beta)
        {
            (_width, _transposeA, _transposeB, _m, _n, _k, _beta) = (width, transposeA, transposeB, m, n, k, beta);
            _a = a;
            _b = b;
            _c = c;
        }

        public void Execute(ComputeWorkers? workers)
        {
            var threads = workers?.Threads ?? 1;
            var kBlocks = (_k + KC - 1) / KC;
            _kcStep = (_k + kBlocks - 1) / kBlocks;
            var nBlocks = (_n + NC - 1) / NC;
            var ncStep = RoundUp((_n + nBlocks - 1) / nBlocks, NR);
            _mBlocks = (_m + MC - 1) / MC;
            _mcStep = RoundUp((_m + _mBlocks - 1) / _mBlocks, MR);
            _mBlocks = (_m + _mcStep - 1) / _mcStep;
            _aSlice = (_m + MR - 1) / MR * MR * _kcStep;
            _bSlice = ncStep * _kcStep;
            var group = (int)Math.Clamp(PackedLimit / (_aSlice + _bSlice), 1, kBlocks);
            Reserve(ref _packedA, ref _pa, group * _aSlice);
            Reserve(ref _packedB, ref _pb, group * _bSlice);
            for (_jc = 0; _jc < _n; _jc += ncStep)
            {
                _nc = Math.Min(ncStep, _n - _jc);
                var nPanels = (_nc + NR - 1) / NR;
                _bChunks = Math.Min(nPanels, threads);
                _bChunkPanels = (nPanels + _bChunks - 1) / _bChunks;
                _bChunks = (nPanels + _bChunkPanels - 1) / _bChunkPanels;
                _colChunks = Math.Clamp((threads * 8 + _mBlocks - 1) / _mBlocks, 1, nPanels);
                _colChunks = threads == 1 ? 1 : _colChunks;
                _chunkPanels = (nPanels + _colChunks - 1) / _colChunks;
                _colChunks = (nPanels + _chunkPanels - 1) / _chunkPanels;
                for (_pc = 0; _pc < _k; _pc += group * _kcStep)
                {
                    _slices = Math.Min(group, (_k - _pc + _kcStep - 1) / _kcStep);
                    _packing = true;
                    Run(workers, _slices * (_bChunks + _mBlocks));
                    _packing = false;
                    Run(workers, _mBlocks * _colChunks);
                }
            }
        }

        public void Run(int task)
        {
            if (_packing)
            {
                var perSlice = _bChunks + _mBlocks;
                var slice = task / perSlice;
                var part = task % perSlice;
                var pc = _pc + slice * _kcStep;
                var kc = Math.Min(_kcStep, _k - pc);
                if (part < _bChunks)
                {
                    PackB(part, pc, kc, _pb + (long)slice * _bSlice);
                }
                else
                {
                    PackA(part - _bChunks, pc, kc, _pa + (long)slice * _aSlice);
                }

                return;
            }

            Compute(task);
        }

        private void Run(ComputeWorkers? workers, int tasks)
        {
            if (workers is null)
            {
                for (var t = 0; t < tasks; t++)
                {
                    Run(t);
                }
            }
            else
            {
                workers.Run(this, tasks);
            }
        }

        private void PackB(int chunk, int pc, int kc, float* packed)
        {
            var nPanels = (_nc + NR - 1) / NR;
            var first = chunk * _bChunkPanels;
            var last = Math.Min(nPanels, first + _bChunkPanels);
            for (var panel = first; panel < last; panel++)
            {
                var j0 = _jc + panel * NR;
                var width = Math.Min(NR, _jc + _nc - j0);
                var destination = packed + panel * NR * kc;
                if (_transposeB)
                {
                    PackTransposed(_b + (long)j0 * _k + pc, _k, width, kc, NR, destination);
                }
                else
                {
                    PackRows(_b + (long)pc * _n + j0, _n, width, kc, NR, destination);
                }
            }
        }

        private void PackA(int block, int pc, int kc, float* packed)
        {
            var i0 = block * _mcStep;
            var i1 = Math.Min(_m, i0 + _mcStep);
            for (var i = i0; i < i1; i += MR)
            {
                var height = Math.Min(MR, _m - i);
                var destination = packed + i * kc;
                if (_transposeA)
                {
                    PackRows(_a + (long)pc * _m + i, _m, height, kc, MR, destination);
                }
                else
                {
                    PackTransposed(_a + (long)i * _k + pc, _k, height, kc, MR, destination);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Compute(int task)
        {
            var block = task / _colChunks;
            var chunk = task % _colChunks;
            var i0 = block * _mcStep;
            var i1 = Math.Min(_m, i0 + _mcStep);
            var nPanels = (_nc + NR - 1) / NR;
            var firstPanel = chunk * _chunkPanels;
            var lastPanel = Math.Min(nPanels, firstPanel + _chunkPanels);
            var tile = stackalloc float[MR * NR];
            for (var slice = 0; slice < _slices; slice++)
            {
                var pc = _pc + slice * _kcStep;
                var kc = Math.Min(_kcStep, _k - pc);
                var accumulate = pc > 0 || _beta;
                var packedA = _pa + (long)slice * _aSlice;
                var packedB = _pb + (long)slice * _bSlice;
                for (var panel = firstPanel; panel < lastPanel; panel++)
                {
                    var j = _jc + panel * NR;
                    var width = Math.Min(NR, _n - j);
                    var bPanel = packedB + panel * NR * kc;
                    for (var i = i0; i < i1; i += MR)
                    {
                        var height = Math.Min(MR, _m - i);
                        var aPanel = packedA + i * kc;
                        var c = _c + (long)i * _n + j;
                        if (height == MR && width == NR)
                        {
                            MicroKernel(_width, kc, aPanel, bPanel, c, _n, accumulate);
                            continue;
                        }

                        MicroKernel(_width, kc, aPanel, bPanel, tile, NR, false);
                        for (var r = 0; r < height; r++)
                        {
                            var row = c + (long)r * _n;
                            var source = tile + r * NR;
                            for (var q = 0; q < width; q++)
                            {
                                row[q] = accumulate ? row[q] + source[q] : source[q];
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Packs <paramref name="count"/> (≤ <paramref name="lanes"/>) contiguous values per p, zero-padding to <paramref name="lanes"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PackRows(float* source, int stride, int count, int depth, int lanes, float* destination)
        {
            if (count == NR && lanes == NR)
            {
                for (var p = 0; p < depth; p++)
                {
                    var s = source + (long)p * stride;
                    var d = destination + p * NR;
                    Vector128.Store(Vector128.Load(s), d);
                    Vector128.Store(Vector128.Load(s + 4), d + 4);
                    Vector128.Store(Vector128.Load(s + 8), d + 8);
                    Vector128.Store(Vector128.Load(s + 12), d + 12);
                }

                return;
            }

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

        /// <summary>Packs <paramref name="count"/> rows of <paramref name="depth"/> contiguous values, interleaved by p, zero-padding missing rows.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void PackTransposed(float* source, int stride, int count, int depth, int lanes, float* destination)
        {
            if (count == NR && lanes == NR)
            {
                for (var p = 0; p < depth; p++)
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

        private static void Reserve(ref float[] buffer, ref float* aligned, int length)
        {
            if (buffer.Length >= length + 16)
            {
                return;
            }

            buffer = GC.AllocateUninitializedArray<float>(length + 16, pinned: true);
            fixed (float* start = buffer)
            {
                aligned = (float*)(((nint)start + 63) & ~(nint)63);
            }
        }

        private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
    }
}
