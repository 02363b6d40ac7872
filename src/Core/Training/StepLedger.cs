using System.Numerics.Tensors;
using SegaLearn.Compute;

namespace SegaLearn.Training;

/// <summary>
/// The coordinator's book of one step: which blocks exist, and the first valid gradient for each. Late replies
/// (another step or version) and duplicates (a reassigned block answered twice) are dropped; invalid ones (wrong
/// length or sample count, NaN/Inf) are rejected so the block can be recomputed elsewhere. When every block has
/// exactly one accepted gradient, <see cref="Reduce"/> adds them in the fixed tree order.
/// </summary>
public sealed class StepLedger
{
    private readonly GradientBufferPool _pool;
    private WorkBlock[] _blocks = [];
    private float[]?[] _gradients = [];
    private double[] _losses = [];
    private int _accepted;
    private int _borrowedIndex = -1;
    private ReadOnlyMemory<float> _borrowed;

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

    public bool HasResult(int blockIndex) => (uint)blockIndex < (uint)_blocks.Length && (_gradients[blockIndex] is not null || blockIndex == _borrowedIndex);

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
    /// Offers a block's result that the caller only lends (<paramref name="owned"/> null), e.g. a gradient still in a
    /// worker's shared memory, or hands over (<paramref name="owned"/>, a pool buffer, is <paramref name="gradient"/>).
    /// A lent gradient is copied into a pool buffer, except when it completes the step: then the ledger reads it where
    /// it is, and the caller must call <see cref="Reduce"/> before its loan ends.
    /// </summary>
    public LedgerOutcome Offer(
        long parameterVersion, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum, ReadOnlyMemory<float> gradient, float[]? owned)
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
        else if (_accepted + 1 == _blocks.Length)
        {
            _borrowedIndex = index;
            _borrowed = gradient;
        }
        else
        {
            var copy = _pool.Rent();
            gradient.Span.CopyTo(copy);
            _gradients[index] = copy;
        }

        _losses[index] = lossSum;
        _accepted++;
        return LedgerOutcome.Accepted;
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
        if (index < 0 || _blocks[index].MicrobatchCount != microbatchCount || _blocks[index].SampleCount != sampleCount
            || gradient.Length != _pool.Length || !double.IsFinite(lossSum) || !TensorPrimitives.IsFiniteAll(gradient))
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

        GradientTree.SumBlocks(backend, buffers, leaves, destination, _borrowedIndex, _borrowed);
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
        }

        _borrowedIndex = -1;
        _borrowed = default;
        _accepted = 0;
    }
}
