using System.Numerics.Tensors;
using SegaLearn.Compute;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Worker;

/// <summary>
/// A member's part of peer reduction (see <see cref="StepPlan"/>): it collects its shard of every block gradient of
/// the step attempt, from peers and from its own computations, and adds them in the reduction tree's order
/// (<see cref="GradientTree.SumBlocks"/>), which gives the same bits as that slice of the whole tree sum. Pieces may arrive
/// on any thread and before the plan they belong to (a peer computes as soon as the relay reached it); those are kept
/// until <see cref="Begin"/> names their plan. The sum itself runs on the caller's thread in <see cref="Finish"/>.
/// </summary>
public sealed class ShardReducer
{
    private readonly Lock _gate = new();
    private readonly List<(FrameHeader Header, float[] Buffer)> _early = [];
    private readonly Stack<float[]> _pool = new();
    private StepPlan? _plan;
    private float[]?[] _pieces = [];
    private int _received;
    private bool _finished;
    private float[] _sum = [];

    /// <summary>Where the shard starts in the flat parameter vector, and its length.</summary>
    public (int Offset, int Length) Shard { get; private set; }

    /// <summary>The plan being collected for, or null before the first.</summary>
    public StepPlan? Plan
    {
        get
        {
            lock (_gate)
                return _plan;
        }
    }

    /// <summary>
    /// Starts collecting shard <paramref name="shardIndex"/> of <paramref name="plan"/>, dropping what is left of an older
    /// plan and taking the pieces that came early for this one; true when they complete it already.
    /// </summary>
    public bool Begin(StepPlan plan, int shardIndex, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_gate)
        {
            if (_plan is { } current && StepPlan.Compare(plan.ParameterVersion, plan.Attempt, current.ParameterVersion, current.Attempt) <= 0)
                return false;
            ReleasePieces();
            _plan = plan;
            Shard = StepPlan.ShardOf(shardIndex, plan.Members.Count, parameterCount);
            _pieces = new float[]?[plan.Blocks.Count];
            _received = 0;
            _finished = false;
            var early = _early.ToArray();
            _early.Clear();
            var complete = false;
            foreach (var (header, buffer) in early)
            {
                var outcome = AddLocked(header, buffer);
                complete |= outcome == PieceOutcome.Complete;
                if (outcome is not (PieceOutcome.Accepted or PieceOutcome.Complete or PieceOutcome.Early))
                    _pool.Push(buffer);
            }
            return complete;
        }
    }

    /// <summary>A buffer for a piece described by <paramref name="header"/>, or null when the piece is stale.</summary>
    public float[]? Rent(in FrameHeader header)
    {
        lock (_gate)
        {
            if (_plan is { } plan && StepPlan.Compare(header.ParameterVersion, header.Attempt, plan.ParameterVersion, plan.Attempt) < 0)
                return null;
            while (_pool.TryPop(out var pooled))
            {
                if (pooled.Length == header.ElementCount)
                    return pooled;
            }
            return new float[header.ElementCount];
        }
    }

    /// <summary>
    /// Takes a piece (a buffer from <see cref="Rent"/>, or the caller's own). The buffer is kept unless the outcome
    /// is <see cref="PieceOutcome.Dropped"/>, <see cref="PieceOutcome.NotFinite"/> or <see cref="PieceOutcome.Malformed"/>.
    /// </summary>
    public PieceOutcome Add(in FrameHeader header, float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        lock (_gate)
            return AddLocked(header, buffer);
    }

    private PieceOutcome AddLocked(in FrameHeader header, float[] buffer)
    {
        var order = _plan is { } plan ? StepPlan.Compare(header.ParameterVersion, header.Attempt, plan.ParameterVersion, plan.Attempt) : 1;
        if (order > 0)
        {
            _early.Add((header, buffer));
            return PieceOutcome.Early;
        }

        if (order < 0)
            return PieceOutcome.Dropped;
        var block = _plan!.BlockIndexOf(header.FirstMicrobatch);
        if (block < 0 || _plan.Blocks[block].MicrobatchCount != header.MicrobatchCount || header.ElementOffset != Shard.Offset || header.ElementCount != Shard.Length
            || header.Epoch != _plan.Epoch || header.Step != _plan.Step)
            return PieceOutcome.Malformed;
        if (_finished || _pieces[block] is not null)
            return PieceOutcome.Dropped;
        if (!TensorPrimitives.IsFiniteAll(buffer.AsSpan(0, Shard.Length)))
            return PieceOutcome.NotFinite;
        _pieces[block] = buffer;
        _received++;
        return _received == _pieces.Length ? PieceOutcome.Complete : PieceOutcome.Accepted;
    }

    /// <summary>
    /// Adds the complete shard's pieces in tree order on <paramref name="backend"/>; returns the sum (valid until the next
    /// <see cref="Finish"/>) and gives the pieces back to the pool.
    /// </summary>
    public ReadOnlyMemory<float> Finish(IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (_gate)
        {
            if (_plan is null || _finished || _received != _pieces.Length)
                throw new InvalidOperationException($"shard has {_received} of {_pieces.Length} pieces");
            var length = Shard.Length;
            if (_sum.Length < length)
                _sum = new float[length];
            var leaves = _plan.Blocks.Select(b => b.MicrobatchCount).ToArray();
            var lent = new ReadOnlyMemory<float>[_pieces.Length];
            GradientTree.SumBlocks(backend, (float[]?[])_pieces.Clone(), lent, leaves, _sum.AsSpan(0, length), () => new float[length]);
            ReleasePieces();
            _finished = true;
            return _sum.AsMemory(0, length);
        }
    }

    private void ReleasePieces()
    {
        for (var i = 0; i < _pieces.Length; i++)
        {
            if (_pieces[i] is { } piece)
                _pool.Push(piece);
            _pieces[i] = null;
        }
    }
}
