using System.Numerics.Tensors;
using SegaLearn.Compute;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Worker;

/// <summary>
/// A member's part of peer reduction (see <see cref="StepPlan"/>): it collects its shard of every block gradient of
/// the step attempt, from peers and from its own computations, and adds them in the reduction tree's order
/// (<see cref="GradientTree.SumBlocks"/>), which gives the same bits as that slice of the whole tree sum. The shard comes
/// in parts (<see cref="StepPlan.PartsOf"/>), each summed as soon as every block's piece of it is in, so the sum of the
/// first part travels to the coordinator while later pieces still arrive. Pieces may arrive on any thread and before the
/// plan they belong to (a peer computes as soon as it has the parameters); those are kept until <see cref="Begin"/>
/// names their plan. The sums run on the caller's thread in <see cref="SumPart"/>.
/// </summary>
public sealed class ShardReducer
{
    private readonly Lock _gate = new();
    private readonly List<(FrameHeader Header, float[] Buffer)> _early = [];
    private readonly Stack<float[]> _pool = new();
    private readonly Queue<int> _ready = new();
    private StepPlan? _plan;
    private (int Offset, int Length)[] _parts = [];
    private int[] _leaves = [];
    private float[]?[][] _pieces = [];
    private int[] _received = [];
    private readonly WireFormat _format;

    /// <summary>A reducer for a job in <paramref name="format"/>: its parts are that format's, its sums round as the job's tree does.</summary>
    public ShardReducer(WireFormat format = WireFormat.Float32) => _format = format;

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
    /// plan and taking the pieces that came early for this one; true when they complete a part already.
    /// </summary>
    public bool Begin(StepPlan plan, int shardIndex, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_gate)
        {
            if (_plan is { } current && StepPlan.Compare(plan.ParameterVersion, plan.Attempt, current.ParameterVersion, current.Attempt) <= 0)
                return false;
            ReleasePieces();
            _ready.Clear();
            _plan = plan;
            Shard = StepPlan.ShardOf(shardIndex, plan.Members.Count, parameterCount);
            _parts = StepPlan.PartsOf(Shard.Offset, Shard.Length, _format).ToArray();
            _leaves = plan.Blocks.Select(b => b.MicrobatchCount).ToArray();
            _pieces = _parts.Select(_ => new float[]?[plan.Blocks.Count]).ToArray();
            _received = new int[_parts.Length];
            var early = _early.ToArray();
            _early.Clear();
            foreach (var (header, buffer) in early)
            {
                if (AddLocked(header, buffer) is not (PieceOutcome.Accepted or PieceOutcome.Complete or PieceOutcome.Early))
                    _pool.Push(buffer);
            }
            return _ready.Count > 0;
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
    /// Takes a piece of one part (a buffer from <see cref="Rent"/>). The buffer is kept unless the outcome is
    /// <see cref="PieceOutcome.Dropped"/>, <see cref="PieceOutcome.NotFinite"/> or <see cref="PieceOutcome.Malformed"/>;
    /// <see cref="PieceOutcome.Complete"/> says a part is ready for <see cref="SumPart"/>.
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
        var offset = header.ElementOffset;
        var part = Array.FindIndex(_parts, p => p.Offset == offset);
        if (block < 0 || part < 0 || _plan.Blocks[block].MicrobatchCount != header.MicrobatchCount || header.ElementCount != _parts[part].Length
            || header.Epoch != _plan.Epoch || header.Step != _plan.Step)
            return PieceOutcome.Malformed;
        if (_received[part] < 0 || _pieces[part][block] is not null)
            return PieceOutcome.Dropped;
        if (!TensorPrimitives.IsFiniteAll(buffer.AsSpan(0, header.ElementCount)))
            return PieceOutcome.NotFinite;
        _pieces[part][block] = buffer;
        if (++_received[part] < _plan.Blocks.Count)
            return PieceOutcome.Accepted;
        _ready.Enqueue(part);
        return PieceOutcome.Complete;
    }

    /// <summary>The next part whose pieces are all in (its offset and length), or null.</summary>
    public (int Offset, int Length)? TakeReadyPart()
    {
        lock (_gate)
            return _ready.TryDequeue(out var part) ? _parts[part] : null;
    }

    /// <summary>
    /// Adds the pieces of the ready part at <paramref name="offset"/> in tree order on <paramref name="backend"/> into
    /// <paramref name="destination"/> (at least the part's length); returns the part's length and gives the pieces back
    /// to the pool. Parts may be summed on several threads at once, each into its own destination. The tree's nodes are
    /// rounded in the job's format, as everywhere else in the job.
    /// </summary>
    public int SumPart(IComputeBackend backend, int offset, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (_gate)
        {
            var part = Array.FindIndex(_parts, p => p.Offset == offset);
            if (_plan is null || part < 0 || _received[part] != _plan.Blocks.Count)
                throw new InvalidOperationException($"the part at {offset} is not complete");
            var length = _parts[part].Length;
            var lent = new ReadOnlyMemory<float>[_leaves.Length];
            GradientTree.SumBlocks(backend, (float[]?[])_pieces[part].Clone(), lent, _leaves, destination[..length], () => new float[length], _format);
            Release(part);
            _received[part] = -1;
            return length;
        }
    }

    private void ReleasePieces()
    {
        for (var part = 0; part < _pieces.Length; part++)
            Release(part);
    }

    private void Release(int part)
    {
        var pieces = _pieces[part];
        for (var i = 0; i < pieces.Length; i++)
        {
            if (pieces[i] is { } piece)
                _pool.Push(piece);
            pieces[i] = null;
        }
    }
}
