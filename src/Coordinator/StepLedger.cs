using System.Numerics.Tensors;
using SegaLearn.Compute;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// The coordinator's book of one step: which blocks exist, and the first valid gradient for each. Late replies
/// (another step or version) and duplicates (a reassigned block answered twice) are dropped; invalid ones (wrong
/// length or sample count, NaN/Inf) are rejected so the block can be recomputed elsewhere. When every block has
/// exactly one accepted gradient, <see cref="Reduce"/> adds them in the fixed tree order. Each is a
/// <see cref="ReceivedGradient"/> whose lease the ledger holds from acceptance until it lets it go, once: an owned one
/// (a pool buffer) goes back to the pool, a lent one (still in a worker's shared memory) is read where it is, never
/// copied, unless its lender is about to overwrite it (<see cref="Detach"/>).
/// </summary>
public sealed class StepLedger
{
    private readonly GradientBufferPool _pool;
    private WorkBlock[] _blocks = [];
    private ReceivedGradient[] _results = [];
    private int _accepted;
    private readonly WireFormat _format;

    /// <summary>A ledger whose sums round the tree's nodes as <paramref name="format"/> says (see <see cref="GradientTree"/>).</summary>
    public StepLedger(GradientBufferPool pool, WireFormat format = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _format = format;
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
        if (_results.Length < blocks.Length)
        {
            _results = new ReceivedGradient[blocks.Length];
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

    public bool HasResult(int blockIndex) => (uint)blockIndex < (uint)_blocks.Length && _results[blockIndex].HasValues;

    /// <summary>
    /// Offers a block's result. When <see cref="LedgerOutcome.Accepted"/>, the ledger holds <paramref name="gradient"/>'s
    /// lease until it lets it go (<see cref="Reduce"/>, <see cref="Begin"/>, or <see cref="Detach"/> for its lender), so a
    /// lent gradient must stay readable until then; otherwise the ledger keeps nothing and the caller still owns the
    /// lease and releases it.
    /// </summary>
    public LedgerOutcome Offer(in ReceivedGradient gradient)
    {
        var outcome = Check(gradient.Header, gradient.Values.Span, out var index);
        if (outcome == LedgerOutcome.Accepted)
        {
            _results[index] = gradient;
            _accepted++;
        }

        return outcome;
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
            if (_results[i].IsLent && _results[i].Lender == lender)
            {
                _results[i] = _results[i].CopyOut(_pool);
                detached++;
            }
        }

        return detached;
    }

    private LedgerOutcome Check(in FrameHeader result, ReadOnlySpan<float> gradient, out int index)
    {
        index = -1;
        if (result.ParameterVersion != ParameterVersion || result.Epoch != Epoch || result.Step != Step)
        {
            return LedgerOutcome.Stale;
        }

        index = IndexOf(result.FirstMicrobatch);
        if (!Fits(index, result.MicrobatchCount, result.SampleCount, result.LossSum) || gradient.Length != _pool.Length || !TensorPrimitives.IsFiniteAll(gradient))
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
        var lent = new ReadOnlyMemory<float>[_blocks.Length];
        var leaves = new int[_blocks.Length];
        double loss = 0;
        for (var i = 0; i < _blocks.Length; i++)
        {
            buffers[i] = _results[i].Buffer;
            lent[i] = _results[i].IsLent ? _results[i].Values : default;
            leaves[i] = _blocks[i].MicrobatchCount;
            loss += _results[i].Header.LossSum;
        }

        GradientTree.SumBlocks(backend, buffers, lent, leaves, destination, _pool.Rent, _format);
        for (var i = 0; i < _blocks.Length; i++)
        {
            if (buffers[i] is { } rented && !ReferenceEquals(rented, _results[i].Buffer))
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
        for (var i = 0; i < _results.Length; i++)
        {
            _results[i].Release();
            _results[i] = default;
        }

        _accepted = 0;
    }
}
