namespace SegaLearn.Coordinator;

/// <summary>
/// Picks, step by step, between peer reduction and the star for a job where both may run, by timing them: it runs
/// both in turn, in blocks of <see cref="BlockSteps"/> steps, until each has <see cref="ProbeSteps"/> timed steps, keeps
/// the one with the shorter median step for <see cref="SettleSteps"/> steps, then times both again, as links and load
/// change. Both give the same bits (the reduction tree is fixed whoever adds it up), so only speed decides. Peer
/// reduction spares the coordinator's link but adds hops a step (pieces between workers, shard sums, a relay); where
/// links are fast and cores few, those hops cost more than the bytes they save.
/// <para>
/// The blocks take turns because a machine's speed drifts over seconds (the first steps of a job are slower, and so is
/// any second in which something else runs): timing all of one topology and then all of the other let that drift
/// decide, and it picked the slower one in about one job of three across simulated hosts. In turns, both are timed
/// across the same seconds. The first step of each block is not timed: it carries the switch.
/// </para>
/// <para>
/// A timing is dear: switching back and forth slows the steps of both (across simulated hosts at 10 Gbit/s one cost as
/// much time as 65 steps of the star), and it is noisier than the long run it interrupts (one kept peer reduction at
/// 3.45 ms a step where the star it replaced had run 1027 steps at 2.05). So a later timing replaces the kept topology
/// only when the other is faster by <see cref="SwitchMargin"/> or more, and each time it confirms the kept one the wait
/// until the next doubles, up to <see cref="MaxSettleFactor"/> times <see cref="SettleSteps"/>.
/// </para>
/// </summary>
public sealed class TopologyChooser
{
    /// <summary>Steps run in one topology before the turn passes to the other while timing; the first is not timed.</summary>
    public const int BlockSteps = 4;

    /// <summary>How much shorter, as a fraction, the other topology's median step must be to replace the kept one.</summary>
    public const double SwitchMargin = 0.1;

    /// <summary>The most the wait between timings grows to, in multiples of <see cref="SettleSteps"/>.</summary>
    public const int MaxSettleFactor = 8;

    private readonly List<double> _peer = [];
    private readonly List<double> _star = [];
    private bool _blockPeer = true;
    private int _blockStep;
    private int _settled;

    /// <param name="probeSteps">Steps timed of each topology before choosing (at least 1).</param>
    /// <param name="settleSteps">Steps run with the faster topology before both are timed again (at least 1), after the first timing and after one that changed the kept topology.</param>
    public TopologyChooser(int probeSteps = 32, int settleSteps = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probeSteps, 1, nameof(probeSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(settleSteps, 1, nameof(settleSteps));
        ProbeSteps = probeSteps;
        SettleSteps = settleSteps;
        SettleFor = settleSteps;
    }

    public int ProbeSteps { get; }

    public int SettleSteps { get; }

    /// <summary>Steps the kept topology runs before both are timed again: <see cref="SettleSteps"/>, doubled for each timing in a row that kept it.</summary>
    public int SettleFor { get; private set; }

    /// <summary>Whether both topologies are being timed (else the kept one runs).</summary>
    public bool IsTiming { get; private set; } = true;

    /// <summary>Whether the next step should run under peer reduction (else in the star).</summary>
    public bool PeerNext => IsTiming ? _blockPeer : Kept == ReductionTopology.Peer;

    /// <summary>The topology kept after the last timing of both, or null before the first.</summary>
    public ReductionTopology? Kept { get; private set; }

    /// <summary>The medians of the last timing of both, in milliseconds a step (NaN before the first).</summary>
    public (double Peer, double Star) Medians { get; private set; } = (double.NaN, double.NaN);

    /// <summary>
    /// Counts a finished step that ran under peer reduction when <paramref name="peer"/>, else in the star, and took
    /// <paramref name="milliseconds"/> from the end of the step before. Returns true when this step completed a timing
    /// of both and the kept topology changed (or was first chosen).
    /// </summary>
    public bool Record(bool peer, double milliseconds)
    {
        if (!IsTiming)
        {
            if (++_settled >= SettleFor)
            {
                IsTiming = true;
                _blockPeer = true;
                _blockStep = 0;
            }

            return false;
        }

        if (peer != _blockPeer)
        {
            // A step forced into the other topology (a member lost, too few workers) times neither, and the next step
            // carries the switch back.
            _blockStep = 0;
            return false;
        }

        if (_blockStep > 0)
        {
            (peer ? _peer : _star).Add(milliseconds);
        }

        if (++_blockStep == BlockSteps)
        {
            _blockStep = 0;
            _blockPeer = !_blockPeer;
        }

        if (_peer.Count < ProbeSteps || _star.Count < ProbeSteps)
        {
            return false;
        }

        (double Peer, double Star) medians = (Median(_peer), Median(_star));
        var faster = medians.Star < medians.Peer ? ReductionTopology.Star : ReductionTopology.Peer;
        var kept = Kept is { } incumbent && faster != incumbent && MedianOf(medians, faster) > (1 - SwitchMargin) * MedianOf(medians, incumbent)
            ? incumbent
            : faster;
        var changed = kept != Kept;
        SettleFor = changed ? SettleSteps : (int)Math.Min(Math.Min(2L * SettleFor, (long)MaxSettleFactor * SettleSteps), int.MaxValue);
        Medians = medians;
        Kept = kept;
        _peer.Clear();
        _star.Clear();
        _settled = 0;
        IsTiming = false;
        return changed;
    }

    private static double MedianOf((double Peer, double Star) medians, ReductionTopology topology) =>
        topology == ReductionTopology.Peer ? medians.Peer : medians.Star;

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
