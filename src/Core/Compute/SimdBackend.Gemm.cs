using System.Buffers;
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
        using var mode = FlushToZeroMode.Enter();
        Multiply(transposeA, transposeB, m, n, k, a, b, c, beta, null, null);
    }

    public unsafe void LinearForward(
        int rows, int cols, int depth, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, Span<float> output, Activation activation, ReadOnlySpan<int> rowOrder = default)
    {
        using var mode = FlushToZeroMode.Enter();
        if (bias.Length < cols || output.Length < (long)rows * cols)
        {
            throw new ArgumentException($"a {rows}x{cols} layer needs {cols} biases and {rows * cols} outputs, got {bias.Length} and {output.Length}");
        }

        if (!rowOrder.IsEmpty)
        {
            CheckPermutation(rowOrder, rows);
        }

        if (activation.Kind == ActivationKind.Softmax || depth == 0)
        {
            Gemm(false, false, rows, cols, depth, x, w, z, 0f);
            BiasActivation(z, bias, output, rows, cols, activation);
            return;
        }

        fixed (float* pb = bias, po = output)
        fixed (int* order = rowOrder)
        {
            Multiply(false, false, rows, cols, depth, x, w, z, 0f, new Epilogue(this, pb, po, activation), order);
        }
    }

    private static void CheckPermutation(ReadOnlySpan<int> order, int rows)
    {
        if (order.Length != rows)
        {
            throw new ArgumentException($"a row order of {order.Length} for {rows} rows", nameof(order));
        }

        var rented = rows <= 1024 ? null : ArrayPool<bool>.Shared.Rent(rows);
        try
        {
            Span<bool> seen = rented is null ? stackalloc bool[rows] : rented.AsSpan(0, rows);
            seen.Clear();
            foreach (var row in order)
            {
                if ((uint)row >= (uint)rows || seen[row])
                {
                    throw new ArgumentException($"the row order is not a permutation of 0..{rows - 1} (row {row})", nameof(order));
                }

                seen[row] = true;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<bool>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Bias and element-wise activation applied to finished rows of C: <c>C += bias; output = act(C)</c>, both
    /// row-major with C's stride.
    /// </summary>
    private readonly unsafe struct Epilogue(SimdBackend backend, float* bias, float* output, Activation activation)
    {
        /// <summary>Finishes rows [rowStart, rowEnd) of C, or the rows at those positions of <paramref name="order"/>.</summary>
        public void Apply(float* c, int stride, int rowStart, int rowEnd, int columnStart, int columnEnd, int* order = null)
        {
            var width = columnEnd - columnStart;
            var biasRow = new ReadOnlySpan<float>(bias + columnStart, width);
            for (var position = rowStart; position < rowEnd; position++)
            {
                var r = order is null ? position : order[position];
                var offset = (long)r * stride + columnStart;
                backend.BiasActivation(new Span<float>(c + offset, width), biasRow, new Span<float>(output + offset, width), 1, width, activation);
            }
        }
    }

    private unsafe void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, float beta, Epilogue? epilogue, int* rowOrder)
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
                epilogue?.Apply(pc, n, 0, m, 0, n);
                return;
            }

            if (work <= DirectLimit && !transposeA && k >= 16)
            {
                DirectDots(_width, m, n, k, pa, pb, pc, accumulate);
                epilogue?.Apply(pc, n, 0, m, 0, n);
                return;
            }

            if (n <= NR && !transposeB)
            {
                MultiplyNarrow(transposeA, m, n, k, pa, pb, pc, accumulate, epilogue);
                return;
            }

            var job = t_job ??= new GemmJob();
            job.Set(_width, DensePanels, transposeA, transposeB, m, n, k, pa, pb, pc, accumulate, epilogue, transposeA || !Wide ? null : rowOrder);
            Execute(job, work >= ParallelLimit);
        }
    }

    /// <summary>
    /// One packed product C = op(A)·op(B) (+ C). For each NC-wide column block and each group of KC-deep slices of
    /// k, taken in order, op(B)'s slices are packed into 16-column panels and op(A)'s into 6-row panels (tasks in
    /// parallel), then tasks over disjoint output tiles run the micro-kernel slice after slice. Every element
    /// therefore sums its slices in the same order, and within a slice in k order, whatever thread computes it;
    /// the grouping depends on the shape only.
    /// </summary>
    private sealed unsafe class GemmJob : IParallelWork, IThreadedJob
    {
        private float[] _packedA = [];
        private float[] _packedB = [];
        private int[] _keptP = [];
        private int[] _keptCounts = [];
        private float* _pa;
        private float* _pb;
        private int* _kept;
        private int* _counts;

        private VectorWidth _width;
        private bool _densePanels;
        private bool _transposeA;
        private bool _transposeB;
        private int _m;
        private int _n;
        private int _k;
        private float* _a;
        private float* _b;
        private float* _c;
        private bool _beta;
        private Epilogue? _epilogue;
        private int* _order;

        private bool _packing;
        private int _jc;
        private int _nc;
        private int _pc;
        private int _kcStep;
        private int _slices;
        private int _aSlice;
        private int _aPanels;
        private int _bSlice;
        private int _bChunks;
        private int _bChunkPanels;
        private int _mBlocks;
        private int[] _blockStarts = new int[2];
        private bool _evenShares;
        private int _colChunks;
        private int _chunkPanels;

        // rowOrder: A's rows in the order to group them into panels (only for A not transposed, on the Vector256 and Vector512 paths), or null.
        public void Set(VectorWidth width, bool densePanels, bool transposeA, bool transposeB, int m, int n, int k, float* a, float* b, float* c, bool beta, Epilogue? epilogue, int* rowOrder)
        {
            _densePanels = densePanels;
            (_width, _transposeA, _transposeB, _m, _n, _k, _beta, _epilogue) = (width, transposeA, transposeB, m, n, k, beta, epilogue);
            _order = rowOrder;
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
            PlanRowBlocks(threads);
            _aPanels = (_m + MR - 1) / MR;
            _aSlice = _aPanels * MR * _kcStep;
            _bSlice = ncStep * _kcStep;
            var group = (int)Math.Clamp(PackedLimit / (_aSlice + _bSlice), 1, kBlocks);
            Reserve(ref _packedA, ref _pa, group * _aSlice);
            Reserve(ref _packedB, ref _pb, group * _bSlice);
            Reserve(ref _keptP, ref _kept, group * _aPanels * _kcStep);
            Reserve(ref _keptCounts, ref _counts, group * _aPanels);
            for (_jc = 0; _jc < _n; _jc += ncStep)
            {
                _nc = Math.Min(ncStep, _n - _jc);
                var nPanels = (_nc + NR - 1) / NR;
                _bChunks = Math.Min(nPanels, threads);
                _bChunkPanels = (nPanels + _bChunks - 1) / _bChunks;
                _bChunks = (nPanels + _bChunkPanels - 1) / _bChunkPanels;
                // Whole rows per task when the row blocks share out evenly: a task then reuses its packed A block
                // over every B panel, and each thread keeps the same rows of a layer's output from one product to
                // the next (see ComputeWorkers). Otherwise column chunks give the threads enough tasks to balance.
                _colChunks = threads == 1 || _evenShares
                    ? 1
                    : Math.Clamp((threads * 8 + _mBlocks - 1) / _mBlocks, 1, nPanels);
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

        /// <summary>
        /// Cuts A's rows into blocks of at most MC rows: first one share of whole 6-row panels per thread, as equal
        /// as panels allow, then each share into blocks. Threads then start on equal work (a uniform MC step left the
        /// last block of M = 512 at 62 rows against 90, idling one of two threads 4% of each product) and, taking
        /// their own tasks first, each keeps its share of rows.
        /// </summary>
        private void PlanRowBlocks(int threads)
        {
            var panels = (_m + MR - 1) / MR;
            var shares = Math.Min(threads, panels);
            const int panelsPerBlock = MC / MR;
            _mBlocks = 0;
            for (var share = 0; share < shares; share++)
            {
                _mBlocks += ((share + 1) * panels / shares - share * panels / shares + panelsPerBlock - 1) / panelsPerBlock;
            }

            if (_blockStarts.Length < _mBlocks + 1)
            {
                _blockStarts = new int[_mBlocks + 1];
            }

            var block = 0;
            for (var share = 0; share < shares; share++)
            {
                var last = (share + 1) * panels / shares;
                for (var first = share * panels / shares; first < last; first += panelsPerBlock)
                {
                    _blockStarts[block++] = first * MR;
                }
            }

            _blockStarts[block] = _m;
            _evenShares = shares == threads;
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
                    PackA(part - _bChunks, slice, pc, kc);
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
            if (!_transposeB)
            {
                var full = Math.Min(last, _nc / NR);
                if (full > first)
                {
                    PackRowPanels(_b + (long)pc * _n + _jc + first * NR, _n, full - first, kc, packed + first * NR * kc);
                    first = full;
                }
            }

            for (var panel = first; panel < last; panel++)
            {
                var j0 = _jc + panel * NR;
                var width = Math.Min(NR, _jc + _nc - j0);
                var destination = packed + panel * NR * kc;
                if (_transposeB)
                {
                    PackTransposed(_b + (long)j0 * _k + pc, _k, width, kc, NR, destination, _width is VectorWidth.V512 or VectorWidth.V256);
                }
                else
                {
                    PackRows(_b + (long)pc * _n + j0, _n, width, kc, NR, destination);
                }
            }
        }

        /// <summary>
        /// Packs the A panels of one MC block for one slice and records, per panel, how many depth indices it kept:
        /// all kc, or on the Vector256 and Vector512 paths only those where some row is non-zero (their p listed in _kept).
        /// </summary>
        private void PackA(int block, int slice, int pc, int kc)
        {
            var packed = _pa + (long)slice * _aSlice;
            var i0 = _blockStarts[block];
            var i1 = _blockStarts[block + 1];
            var avx = _width is VectorWidth.V512 or VectorWidth.V256;
            for (var i = i0; i < i1; i += MR)
            {
                var height = Math.Min(MR, _m - i);
                var destination = packed + i * kc;
                var panel = slice * _aPanels + i / MR;
                var kept = _kept + (long)panel * _kcStep;
                int count;
                if (_transposeA)
                {
                    var source = _a + (long)pc * _m + i;
                    if (avx && height == MR)
                    {
                        count = PackRowsSkippingZeros(source, _m, kc, destination, kept);
                    }
                    else
                    {
                        PackRows(source, _m, height, kc, MR, destination);
                        count = kc;
                    }
                }
                else if (_order is not null)
                {
                    count = PackOrderedRows(_a + pc, _k, _order + i, height, kc, destination, kept);
                }
                else
                {
                    var source = _a + (long)i * _k + pc;
                    if (avx && height == MR)
                    {
                        var stride = (long)_k;
                        count = PackTransposedSkippingZeros(
                            source, source + stride, source + 2 * stride, source + 3 * stride, source + 4 * stride, source + 5 * stride, kc, destination, kept);
                    }
                    else
                    {
                        PackTransposed(source, _k, height, kc, MR, destination, avx);
                        count = kc;
                    }
                }

                // Where dense panels pay (DensePanels), a panel that keeps nearly all its depths is made dense again, so
                // that it can join the 12x32 Vector512 tile (two dense panels) instead of the 6x32 one with indexed B
                // loads. A ReLU layer's panels keep about 98% (a depth is skipped when all six values are zero).
                if (_densePanels && count < kc && count > kc - kc / 4)
                {
                    Densify(destination, kept, count, kc);
                    count = kc;
                }

                _counts[panel] = count;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Compute(int task)
        {
            var block = task / _colChunks;
            var chunk = task % _colChunks;
            var i0 = _blockStarts[block];
            var i1 = _blockStarts[block + 1];
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
                    var bPanel = packedB + panel * NR * kc;

                    // Two adjacent full panels make one 6x32 tile for the Vector512 kernel, or with two dense A panels
                    // one 12x32 tile; each element's sum is the same chain as in a 6x16 tile.
                    var pair = _width == VectorWidth.V512 && panel + 1 < lastPanel && _n - j >= 2 * NR;
                    for (var i = i0; i < i1; i += MR)
                    {
                        var panelIndex = slice * _aPanels + i / MR;
                        if (pair && i + 2 * MR <= i1 && _m - i >= 2 * MR && _counts[panelIndex] == kc && _counts[panelIndex + 1] == kc)
                        {
                            var c = _order is null ? _c + (long)i * _n + j : _c + j;
                            var aPanel = packedA + i * kc;
                            Kernel512Tall(kc, aPanel, aPanel + MR * kc, bPanel, bPanel + NR * kc, c, _n, accumulate, _order is null ? null : _order + i);
                            i += MR;
                            continue;
                        }

                        if (pair && _m - i >= MR)
                        {
                            var count = _counts[panelIndex];
                            var kept = count == kc ? null : _kept + (long)panelIndex * _kcStep;
                            var c = _order is null ? _c + (long)i * _n + j : _c + j;
                            Kernel512(count, packedA + i * kc, kept, bPanel, bPanel + NR * kc, c, _n, accumulate, _order is null ? null : _order + i);
                            continue;
                        }

                        ComputeTile(packedA, bPanel, kc, panelIndex, i, j, accumulate, tile);
                        if (pair)
                        {
                            ComputeTile(packedA, bPanel + NR * kc, kc, panelIndex, i, j + NR, accumulate, tile);
                        }
                    }

                    panel += pair ? 1 : 0;
                }
            }

            // The task's tiles are final once the last group of k slices is in: finish them while they are in cache.
            if (_epilogue is { } epilogue && _pc + _slices * _kcStep >= _k)
            {
                epilogue.Apply(_c, _n, i0, i1, _jc + firstPanel * NR, Math.Min(_jc + lastPanel * NR, _jc + _nc), _order);
            }
        }

        /// <summary>One tile of at most 6x16 of C at rows from <paramref name="i"/>, columns from <paramref name="j"/>.</summary>
        private void ComputeTile(float* packedA, float* bPanel, int kc, int panelIndex, int i, int j, bool accumulate, float* tile)
        {
            var width = Math.Min(NR, _n - j);
            var height = Math.Min(MR, _m - i);
            var aPanel = packedA + i * kc;
            var count = _counts[panelIndex];
            var kept = count == kc ? null : _kept + (long)panelIndex * _kcStep;
            var c = _c + (long)i * _n + j;
            if (height == MR && width == NR)
            {
                MicroKernel(_width, count, aPanel, kept, bPanel, _order is null ? c : _c + j, _n, accumulate, _order is null ? null : _order + i);
                return;
            }

            MicroKernel(_width, count, aPanel, kept, bPanel, tile, NR, false);
            for (var r = 0; r < height; r++)
            {
                var row = _order is null ? c + (long)r * _n : _c + (long)_order[i + r] * _n + j;
                var source = tile + r * NR;
                for (var q = 0; q < width; q++)
                {
                    row[q] = accumulate ? row[q] + source[q] : source[q];
                }
            }
        }

        /// <summary>
        /// Packs the A panel of rows <c>order[0..height)</c> (each <paramref name="stride"/> apart from
        /// <paramref name="source"/>), dropping all-zero depth indices when the panel is full; returns the kept count.
        /// </summary>
        private static int PackOrderedRows(float* source, int stride, int* order, int height, int depth, float* destination, int* kept)
        {
            if (height == MR)
            {
                return PackTransposedSkippingZeros(
                    source + (long)order[0] * stride,
                    source + (long)order[1] * stride,
                    source + (long)order[2] * stride,
                    source + (long)order[3] * stride,
                    source + (long)order[4] * stride,
                    source + (long)order[5] * stride,
                    depth,
                    destination,
                    kept);
            }

            for (var q = 0; q < MR; q++)
            {
                var row = q < height ? source + (long)order[q] * stride : null;
                for (var p = 0; p < depth; p++)
                {
                    destination[p * MR + q] = row is null ? 0f : row[p];
                }
            }

            return depth;
        }

        /// <summary>
        /// Turns a compacted 6-row panel (the q-th slot holding depth <c>kept[q]</c>) back into a dense one of
        /// <paramref name="depth"/> slots, with zeros at the skipped depths. Moving slots from the last down keeps every
        /// source ahead of the writes. The sums do not change: each skipped term was a product with six zeros.
        /// </summary>
        private static void Densify(float* panel, int* kept, int count, int depth)
        {
            var end = depth;
            for (var q = count - 1; q >= 0; q--)
            {
                var p = kept[q];
                new Span<float>(panel + (p + 1) * MR, (end - p - 1) * MR).Clear();
                if (p != q)
                {
                    new Span<float>(panel + q * MR, MR).CopyTo(new Span<float>(panel + p * MR, MR));
                }

                end = p;
            }

            new Span<float>(panel, end * MR).Clear();
        }

        private static void Reserve<T>(ref T[] buffer, ref T* aligned, int length)
            where T : unmanaged
        {
            if (buffer.Length >= length + 16)
            {
                return;
            }

            buffer = GC.AllocateUninitializedArray<T>(length + 16, pinned: true);
            fixed (T* start = buffer)
            {
                aligned = (T*)(((nint)start + 63) & ~(nint)63);
            }
        }

        private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
    }
}
