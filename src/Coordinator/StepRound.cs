using System.Diagnostics;
using SegaLearn.Compute;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// One step as the coordinator runs it, without actors: the block plan, the queue of blocks still to hand out
/// (reassigned ones first), the <see cref="StepLedger"/> that keeps the first valid result of each block, and the
/// step's metrics. The parameters and gradient destination belong to the trainer, which waits for the step.
/// </summary>
public sealed class StepRound
{
    private readonly StepLedger _ledger;
    private readonly IComputeBackend _backend;
    private readonly LinkedList<int> _pending = new();
    private readonly Stopwatch _clock = new();
    private readonly Dictionary<int, int> _rejectedBy = [];
    private int[] _rows = [];
    private float[] _gradientSum = [];
    private double _computeMax;
    private int _reassigned;
    private int _rejected;
    private int _duplicates;
    private bool[] _done = [];
    private double[] _losses = [];
    private bool[] _received = [];
    private bool[] _applied = [];
    private float[] _before = [];
    private int _doneCount;
    private int _receivedElements;
    private bool _anyApplied;

    public StepRound(GradientBufferPool pool, IComputeBackend backend, WireFormat format = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _ledger = new StepLedger(pool, format);
        ElementBytes = Protocol.FrameCodec.ElementSize(format);
        _backend = backend;
    }

    /// <summary>Bytes of a tensor element on the wire in this job's format, for <see cref="BytesIn"/> and <see cref="BytesOut"/>.</summary>
    public int ElementBytes { get; }

    public bool IsActive { get; private set; }

    public StepWork Work { get; private set; }

    public float[] Parameters { get; private set; } = [];

    public long Version { get; private set; }

    public long BytesOut { get; set; }

    public long BytesIn { get; set; }

    /// <summary>The plan of the current attempt under peer reduction, or null when workers send gradients here (the star).</summary>
    public StepPlan? Plan { get; private set; }

    /// <summary>The attempt at the step: 0 in the star; from 1 under peer reduction, one more each time it starts over.</summary>
    public int Attempt => Plan?.Attempt ?? 0;

    /// <summary>
    /// The trainer's update in ranges, when it lets the coordinator run it (<see cref="ITrainingEngine.Step"/>): under peer
    /// reduction each range of the gradient sum is applied as it arrives, and the new parameters go on to the workers.
    /// </summary>
    public ParameterRangeUpdate? RangeUpdate { get; private set; }

    /// <summary>Whether the trainer's update has been applied to every parameter by <see cref="Finish"/> (else the trainer runs it).</summary>
    public bool Updated { get; private set; }

    public void Begin(StepWork work, float[] parameters, long version, float[] gradientSum, int microbatchSize, int workers, ParameterRangeUpdate? rangeUpdate = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradientSum);
        var blocks = WorkBlock.Plan(work.Rows.Length, microbatchSize, Math.Max(1, workers));
        _ledger.Begin(version, work.Epoch, work.Step, blocks);
        Work = work;
        _rows = work.Rows.ToArray();
        Parameters = parameters;
        Version = version;
        _gradientSum = gradientSum;
        RangeUpdate = rangeUpdate;
        Updated = false;
        _anyApplied = false;
        var groups = (gradientSum.Length + StepPlan.ShardAlignment - 1) / StepPlan.ShardAlignment;
        if (_applied.Length != groups)
        {
            _applied = new bool[groups];
            _received = new bool[groups];
        }

        Array.Clear(_applied);
        _pending.Clear();
        _rejectedBy.Clear();
        foreach (var block in blocks)
        {
            _pending.AddLast(block.Index);
        }

        Plan = null;
        _computeMax = 0;
        _reassigned = _rejected = _duplicates = 0;
        BytesOut = BytesIn = 0;
        IsActive = true;
        _clock.Restart();
    }

    /// <summary>The next block without a result (left at the head of the queue), or false when none is waiting.</summary>
    public bool TryPeek(out WorkBlock block)
    {
        while (_pending.First is { } first)
        {
            if (!HasResult(first.Value))
            {
                block = _ledger.Blocks[first.Value];
                return true;
            }

            _pending.RemoveFirst();
        }

        block = default;
        return false;
    }

    /// <summary>Removes the block <see cref="TryPeek"/> returned from the queue.</summary>
    public void TakeHead() => _pending.RemoveFirst();

    /// <summary>The worker whose invalid result sent the block back (0: none), so another one recomputes it.</summary>
    public int RejectedBy(int blockIndex) => _rejectedBy.TryGetValue(blockIndex, out var worker) ? worker : 0;

    /// <summary>Puts blocks taken back from a lost or misbehaving worker at the head of the queue.</summary>
    public void Requeue(IEnumerable<int> blockIndices, int rejectedBy = 0)
    {
        ArgumentNullException.ThrowIfNull(blockIndices);
        foreach (var index in blockIndices.Reverse())
        {
            if (IsActive && !HasResult(index) && !_pending.Contains(index))
            {
                _pending.AddFirst(index);
                _reassigned++;
                if (rejectedBy != 0)
                {
                    _rejectedBy[index] = rejectedBy;
                }
            }
        }
    }

    private bool HasResult(int blockIndex) => Plan is null ? _ledger.HasResult(blockIndex) : _done[blockIndex];

    /// <summary>
    /// Starts an attempt at the step under peer reduction by <paramref name="members"/> (relay order), or, with fewer
    /// than two, goes back to the star: everything of an earlier attempt is dropped and every block is handed out again,
    /// since any result of it may be missing at an owner that is gone. The bits do not change: a block's gradient is the
    /// same wherever it is computed, and the shard sums are slices of the one tree sum.
    /// </summary>
    public void StartAttempt(IReadOnlyList<PeerEndpoint> members, bool parametersFollow = true)
    {
        ArgumentNullException.ThrowIfNull(members);
        var attempt = Attempt;
        var blocks = _ledger.Blocks;
        Plan = members.Count >= 2
            ? new StepPlan(Version, Work.Epoch, Work.Step, attempt + 1, members.ToArray(), blocks.Select(b => (b.FirstMicrobatch, b.MicrobatchCount)).ToArray(), parametersFollow)
            : null;
        if (_done.Length < blocks.Count)
        {
            _done = new bool[blocks.Count];
            _losses = new double[blocks.Count];
        }

        Array.Clear(_done);
        Array.Clear(_received);
        _doneCount = _receivedElements = 0;
        if (attempt > 0)
        {
            _reassigned += blocks.Count - _pending.Count;
            _pending.Clear();
            foreach (var block in blocks)
            {
                _pending.AddLast(block.Index);
            }
        }
    }

    /// <summary>A block's Done under peer reduction: its sample count and loss; its pieces went to the owners.</summary>
    public LedgerOutcome OfferDone(in FrameHeader done, out int blockIndex)
    {
        blockIndex = -1;
        if (!IsCurrentAttempt(done))
        {
            return LedgerOutcome.Stale;
        }

        blockIndex = _ledger.IndexOf(done.FirstMicrobatch);
        if (!_ledger.Fits(blockIndex, done.MicrobatchCount, done.SampleCount, done.LossSum))
        {
            _rejected++;
            return LedgerOutcome.Invalid;
        }

        if (_done[blockIndex])
        {
            _duplicates++;
            return LedgerOutcome.Duplicate;
        }

        _done[blockIndex] = true;
        _losses[blockIndex] = done.LossSum;
        _doneCount++;
        _computeMax = Math.Max(_computeMax, done.ComputeMicroseconds / 1000.0);
        return LedgerOutcome.Accepted;
    }

    /// <summary>
    /// A part of an owner's shard sum under peer reduction, copied into the trainer's gradient buffer where it belongs: it
    /// must lie inside the owner's shard, start on the shard alignment and end on it or at the last parameter.
    /// </summary>
    public LedgerOutcome OfferShard(int ownerId, in FrameHeader header, ReadOnlySpan<float> sum)
    {
        if (!IsCurrentAttempt(header) || Plan is not { } plan)
        {
            return LedgerOutcome.Stale;
        }

        var owner = plan.IndexOf(ownerId);
        var (offset, length) = owner < 0 ? (0, -1) : StepPlan.ShardOf(owner, plan.Members.Count, _gradientSum.Length);
        var start = header.ElementOffset;
        var end = start + sum.Length;
        if (sum.IsEmpty || start < offset || end > offset + length || start % StepPlan.ShardAlignment != 0
            || (end % StepPlan.ShardAlignment != 0 && end != _gradientSum.Length))
        {
            return LedgerOutcome.Invalid;
        }

        var first = start / StepPlan.ShardAlignment;
        var last = (end + StepPlan.ShardAlignment - 1) / StepPlan.ShardAlignment;
        if (Array.IndexOf(_received, true, first, last - first) >= 0)
        {
            return LedgerOutcome.Duplicate;
        }

        sum.CopyTo(_gradientSum.AsSpan(start));
        Array.Fill(_received, true, first, last - first);
        _receivedElements += sum.Length;
        return LedgerOutcome.Accepted;
    }

    /// <summary>
    /// Runs the trainer's update on the parts of [<paramref name="offset"/>, +<paramref name="length"/>) not updated yet
    /// this step, whose gradient sum is complete; returns the ranges updated, to send on. The parameters of the step's
    /// version are kept first, for an attempt that has to start over.
    /// </summary>
    public List<(int Offset, int Length)> ApplyUpdate(int offset, int length)
    {
        var applied = new List<(int, int)>();
        if (RangeUpdate is not { } update)
        {
            return applied;
        }

        if (!_anyApplied)
        {
            if (_before.Length != Parameters.Length)
            {
                _before = new float[Parameters.Length];
            }

            Parameters.CopyTo(_before, 0);
            _anyApplied = true;
        }

        var group = offset / StepPlan.ShardAlignment;
        var endGroup = (offset + length + StepPlan.ShardAlignment - 1) / StepPlan.ShardAlignment;
        while (group < endGroup)
        {
            if (_applied[group])
            {
                group++;
                continue;
            }

            var runEnd = group;
            while (runEnd < endGroup && !_applied[runEnd])
            {
                _applied[runEnd++] = true;
            }

            var start = group * StepPlan.ShardAlignment;
            var count = Math.Min(runEnd * StepPlan.ShardAlignment, Parameters.Length) - start;
            update(start, count);
            applied.Add((start, count));
            group = runEnd;
        }

        return applied;
    }

    /// <summary>The parameters of the step's version: kept aside once the update has begun to change the trainer's buffer.</summary>
    public float[] VersionParameters => _anyApplied ? _before : Parameters;

    public AssignWork Assignment(string jobId, WorkBlock block) =>
        new(jobId, Version, Work.Epoch, Work.Step, block.FirstMicrobatch, block.MicrobatchCount, block.FirstSample,
            _rows.AsSpan(block.FirstSample, block.SampleCount).ToArray());

    /// <summary>The block's data rows as an Assign frame's payload.</summary>
    public float[] RowsPayload(WorkBlock block) => FrameCodec.RowsPayload(_rows.AsSpan(block.FirstSample, block.SampleCount));

    /// <summary>Copies out what <paramref name="lender"/> lent this step before it is handed another block (see <see cref="StepLedger.Detach"/>).</summary>
    public void Detach(int lender)
    {
        if (IsActive)
        {
            _ledger.Detach(lender);
        }
    }

    /// <summary>Index of the block starting at <paramref name="firstMicrobatch"/>, or -1.</summary>
    public int BlockIndexOf(int firstMicrobatch) => _ledger.IndexOf(firstMicrobatch);

    /// <summary>
    /// Offers a block's result to the ledger and counts it. The ledger holds <paramref name="gradient"/>'s lease only when
    /// it is <see cref="LedgerOutcome.Accepted"/> (see <see cref="StepLedger.Offer"/>); otherwise the caller still owns it.
    /// </summary>
    public LedgerOutcome Offer(in ReceivedGradient gradient)
    {
        if (!IsActive)
        {
            return LedgerOutcome.Stale;
        }

        var outcome = _ledger.Offer(gradient);
        switch (outcome)
        {
            case LedgerOutcome.Accepted:
                _computeMax = Math.Max(_computeMax, gradient.ComputeMilliseconds);
                break;
            case LedgerOutcome.Invalid:
                _rejected++;
                break;
            case LedgerOutcome.Duplicate:
                _duplicates++;
                break;
        }

        return outcome;
    }

    /// <summary>Whether a result of (version, epoch, step) belongs to the step being run.</summary>
    public bool IsCurrent(long version, int epoch, int step) => IsActive && version == Version && epoch == Work.Epoch && step == Work.Step;

    /// <summary>Whether a frame of peer reduction belongs to the step being run and to its current attempt.</summary>
    public bool IsCurrentAttempt(in FrameHeader header) =>
        IsCurrent(header.ParameterVersion, header.Epoch, header.Step) && Plan is { } plan && header.Attempt == plan.Attempt;

    public bool IsComplete => IsActive && (Plan is not null ? _doneCount == _ledger.Blocks.Count && _receivedElements == _gradientSum.Length : _ledger.IsComplete);

    /// <summary>Reduces the accepted gradients into the trainer's buffer in tree order and closes the step.</summary>
    public (StepResult Result, StepMetrics Metrics) Finish(int workers)
    {
        var waited = _clock.Elapsed.TotalMilliseconds;
        var blocks = _ledger.Blocks.Count;
        var samples = _ledger.SampleCount;
        var reduceStart = _clock.Elapsed;
        var peerReduced = Plan is not null;
        double loss = 0;
        if (!peerReduced)
        {
            loss = _ledger.Reduce(_backend, _gradientSum);
        }
        else
        {
            for (var i = 0; i < blocks; i++)
            {
                loss += _losses[i];
            }

            _ledger.Begin(-1, 0, 0, []);
            Plan = null;
        }

        // An attempt under peer reduction may have updated part of the parameters before the step went back to the star.
        if (_anyApplied)
        {
            ApplyUpdate(0, _gradientSum.Length);
            Updated = true;
        }

        var reduce = (_clock.Elapsed - reduceStart).TotalMilliseconds;
        IsActive = false;
        _gradientSum = [];
        Parameters = [];
        var metrics = new StepMetrics(
            Work.Epoch, Work.Step, blocks, workers, _computeMax, Math.Max(0, waited - _computeMax), reduce, _clock.Elapsed.TotalMilliseconds,
            BytesOut, BytesIn, _reassigned, _rejected, _duplicates)
        {
            PeerReduced = peerReduced,
        };
        return (new StepResult(loss, samples), metrics);
    }

    /// <summary>Abandons the step (job ended); held gradients go back to the pool.</summary>
    public void Abort()
    {
        if (IsActive)
        {
            _ledger.Begin(-1, 0, 0, []);
            IsActive = false;
            Plan = null;
            _pending.Clear();
            _gradientSum = [];
            Parameters = [];
        }
    }
}
