using System.Numerics.Tensors;
using SegaLearn.Compute;

namespace SegaLearn.Training;

/// <summary>
/// The coordinator's book of one step: which blocks exist, and the first valid gradient for each. Late replies
/// (another step or version) and duplicates (a reassigned block answered twice) are dropped; invalid ones (wrong
/// length or sample count, NaN/Inf) are rejected so the block can be recomputed elsewhere. When every block has
/// exactly one accepted gradient, <see cref="Reduce"/> adds them in the fixed tree order. A gradient may be handed
/// over (a pool buffer) or lent (e.g. still in a worker's shared memory): a lent one is read where it is, never copied,
/// unless its lender is about to overwrite it (<see cref="Detach"/>).
/// </summary>
public sealed class StepLedger
{
    private readonly GradientBufferPool _pool;
    private WorkBlock[] _blocks = [];
    private float[]?[] _gradients = [];
    private ReadOnlyMemory<float>[] _lent = [];
    private IDisposable?[] _loans = [];
    private int[] _lenders = [];
    private double[] _losses = [];
    private int _accepted;

    public StepLedger(GradientBufferPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
    }

    public long ParameterVersion { get; private set; } = -1;

    public int Epoch { get; private set; }

    public int Step { get; private set; }

    public IReadOnlyList<WorkBlock> Blocks => _blocks;

    public bool IsComplete => _accepted == _blocks.Length && _blocks.Length > 0;

    public int SampleCount { get; private set; }

    /// <summary>Opens a new step; gradients still held from an unfinished step go back to the pool.</summary>
    public void Begin(long parameterVersion, int epoch, int step, WorkBlock[] blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ReleaseAll();
        ParameterVersion = parameterVersion;
        Epoch = epoch;
        Step = step;
        _blocks = blocks;
        if (_gradients.Length < blocks.Length)
        {
            _gradients = new float[]?[blocks.Length];
            _lent = new ReadOnlyMemory<float>[blocks.Length];
            _loans = new IDisposable?[blocks.Length];
            _lenders = new int[blocks.Length];
            _losses = new double[blocks.Length];
        }

        _accepted = 0;
        SampleCount = blocks.Sum(b => b.SampleCount);
    }

    /// <summary>Index of the step's block starting at microbatch <paramref name="firstMicrobatch"/>, or -1.</summary>
    public int IndexOf(int firstMicrobatch)
    {
        for (var i = 0; i < _blocks.Length; i++)
        {
            if (_blocks[i].FirstMicrobatch == firstMicrobatch)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether a result claiming block <paramref name="blockIndex"/> (-1: none) matches it: its microbatch and sample
    /// counts, and a finite loss sum.
    /// </summary>
    public bool Fits(int blockIndex, int microbatchCount, int sampleCount, double lossSum) =>
        (uint)blockIndex < (uint)_blocks.Length && _blocks[blockIndex].MicrobatchCount == microbatchCount && _blocks[blockIndex].SampleCount == sampleCount
        && double.IsFinite(lossSum);

    public bool HasResult(int blockIndex) => (uint)blockIndex < (uint)_blocks.Length && (_gradients[blockIndex] is not null || !_lent[blockIndex].IsEmpty);

    /// <summary>
    /// Offers a block's result. When <see cref="LedgerOutcome.Accepted"/>, the ledger keeps <paramref name="gradient"/>
    /// (rented from the pool) until <see cref="Reduce"/>; otherwise the caller still owns it.
    /// </summary>
    public LedgerOutcome Offer(long parameterVersion, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum, float[] gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        return Offer(parameterVersion, epoch, step, firstMicrobatch, microbatchCount, sampleCount, lossSum, gradient, gradient);
    }

    /// <summary>
    /// Offers a block's result that the caller hands over (<paramref name="owned"/>, a pool buffer, is
    /// <paramref name="gradient"/>) or lends (<paramref name="owned"/> null). A lent gradient is read where it is until
    /// the ledger lets it go (<see cref="Reduce"/>, <see cref="Begin"/>, or <see cref="Detach"/> for its
    /// <paramref name="lender"/>), which disposes <paramref name="loan"/>: it must stay readable until then. When the
    /// outcome is not <see cref="LedgerOutcome.Accepted"/>, the ledger keeps nothing and the caller still owns both.
    /// </summary>
    public LedgerOutcome Offer(
        long parameterVersion, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum, ReadOnlyMemory<float> gradient, float[]? owned,
        int lender = 0, IDisposable? loan = null)
    {
        var outcome = Check(parameterVersion, epoch, step, firstMicrobatch, microbatchCount, sampleCount, lossSum, gradient.Span, out var index);
        if (outcome != LedgerOutcome.Accepted)
        {
            return outcome;
        }

        if (owned is not null)
        {
            _gradients[index] = owned;
        }
        else
        {
            _lent[index] = gradient;
            _loans[index] = loan;
            _lenders[index] = lender;
        }

        _losses[index] = lossSum;
        _accepted++;
        return LedgerOutcome.Accepted;
    }

    /// <summary>
    /// Copies the gradients lent by <paramref name="lender"/> into pool buffers and lets their loans go, before that
    /// lender is handed another block of the step, which may overwrite them (a reassigned one); returns how many.
    /// </summary>
    public int Detach(int lender)
    {
        var detached = 0;
        for (var i = 0; i < _blocks.Length; i++)
        {
            if (!_lent[i].IsEmpty && _lenders[i] == lender)
            {
                var copy = _pool.Rent();
                _lent[i].Span.CopyTo(copy);
                _gradients[i] = copy;
                Release(i);
                detached++;
            }
        }

        return detached;
    }

    private LedgerOutcome Check(
        long parameterVersion, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum, ReadOnlySpan<float> gradient, out int index)
    {
        index = -1;
        if (parameterVersion != ParameterVersion || epoch != Epoch || step != Step)
        {
            return LedgerOutcome.Stale;
        }

        index = IndexOf(firstMicrobatch);
        if (!Fits(index, microbatchCount, sampleCount, lossSum) || gradient.Length != _pool.Length || !TensorPrimitives.IsFiniteAll(gradient))
        {
            return LedgerOutcome.Invalid;
        }

        return HasResult(index) ? LedgerOutcome.Duplicate : LedgerOutcome.Accepted;
    }

    /// <summary>Adds the accepted gradients in tree order into <paramref name="destination"/>; returns the loss sum.</summary>
    public double Reduce(IComputeBackend backend, Span<float> destination)
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException($"step {Step} has {_accepted} of {_blocks.Length} blocks");
        }

        var buffers = new float[]?[_blocks.Length];
        var leaves = new int[_blocks.Length];
        double loss = 0;
        for (var i = 0; i < _blocks.Length; i++)
        {
            buffers[i] = _gradients[i];
            leaves[i] = _blocks[i].MicrobatchCount;
            loss += _losses[i];
        }

        GradientTree.SumBlocks(backend, buffers, _lent[.._blocks.Length], leaves, destination, _pool.Rent);
        for (var i = 0; i < _blocks.Length; i++)
        {
            if (buffers[i] is { } rented && !ReferenceEquals(rented, _gradients[i]))
            {
                _pool.Return(rented);
            }
        }

        ReleaseAll();
        _blocks = [];
        return loss;
    }

    private void ReleaseAll()
    {
        for (var i = 0; i < _gradients.Length; i++)
        {
            if (_gradients[i] is { } buffer)
            {
                _pool.Return(buffer);
                _gradients[i] = null;
            }

            Release(i);
        }

        _accepted = 0;
    }

    private void Release(int index)
    {
        _lent[index] = default;
        var loan = _loans[index];
        _loans[index] = null;
        loan?.Dispose();
    }
}
