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
/// </summary>
public sealed class TopologyChooser
{
    /// <summary>Steps run in one topology before the turn passes to the other while timing; the first is not timed.</summary>
    public const int BlockSteps = 4;

    private readonly List<double> _peer = [];
    private readonly List<double> _star = [];
    private bool _probing = true;
    private bool _blockPeer = true;
    private int _blockStep;
    private int _settled;

    /// <param name="probeSteps">Steps timed of each topology before choosing (at least 1).</param>
    /// <param name="settleSteps">Steps run with the faster topology before both are timed again (at least 1).</param>
    public TopologyChooser(int probeSteps = 32, int settleSteps = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(probeSteps, 1, nameof(probeSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(settleSteps, 1, nameof(settleSteps));
        ProbeSteps = probeSteps;
        SettleSteps = settleSteps;
    }

    public int ProbeSteps { get; }

    public int SettleSteps { get; }

    /// <summary>Whether the next step should run under peer reduction (else in the star).</summary>
    public bool PeerNext => _probing ? _blockPeer : Kept == ReductionTopology.Peer;

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
        if (!_probing)
        {
            if (++_settled >= SettleSteps)
            {
                _probing = true;
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

        var medians = (Median(_peer), Median(_star));
        var kept = medians.Item2 < medians.Item1 ? ReductionTopology.Star : ReductionTopology.Peer;
        var changed = kept != Kept;
        Medians = medians;
        Kept = kept;
        _peer.Clear();
        _star.Clear();
        _settled = 0;
        _probing = false;
        return changed;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
