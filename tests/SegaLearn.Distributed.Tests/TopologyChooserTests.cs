using SegaLearn.Coordinator;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// The timing of peer reduction against the star, without actors: which topology each step gets, which one is kept,
/// and that steps forced into the other topology or carrying a switch are not timed.
/// </summary>
public sealed class TopologyChooserTests
{
    /// <summary>Runs steps as the chooser asks, each taking <paramref name="peerMs"/> or <paramref name="starMs"/>; returns what each step ran (true: peer).</summary>
    private static List<bool> Run(TopologyChooser chooser, int steps, double peerMs, double starMs)
    {
        var ran = new List<bool>();
        for (var i = 0; i < steps; i++)
        {
            var peer = chooser.PeerNext;
            ran.Add(peer);
            chooser.Record(peer, peer ? peerMs : starMs);
        }

        return ran;
    }

    [Fact]
    public void Chooser_should_time_a_block_of_each_topology_without_its_first_step_then_keep_the_faster_when_the_star_is_faster()
    {
        var chooser = new TopologyChooser(probeSteps: 3, settleSteps: 5);

        var ran = Run(chooser, 8, peerMs: 3.4, starMs: 2.4);

        Assert.Equal([true, true, true, true, false, false, false, false], ran);
        Assert.Equal(ReductionTopology.Star, chooser.Kept);
        Assert.Equal((3.4, 2.4), chooser.Medians);
        Assert.Equal([false, false, false, false, false], Run(chooser, 5, 3.4, 2.4));
        Assert.True(chooser.PeerNext);
    }

    [Fact]
    public void Chooser_should_keep_peer_reduction_when_the_star_is_slower_and_time_both_again_after_settling()
    {
        var chooser = new TopologyChooser(probeSteps: 2, settleSteps: 4);

        Assert.Equal([true, true, true, true, false, false, false], Run(chooser, 7, peerMs: 5.8, starMs: 7.6));

        Assert.Equal(ReductionTopology.Peer, chooser.Kept);
        Assert.Equal([true, true, true, true, true, true, true, true, false, false], Run(chooser, 10, 5.8, 7.6));
        Assert.Equal(ReductionTopology.Peer, chooser.Kept);
    }

    [Fact]
    public void Chooser_should_take_turns_in_blocks_so_both_are_timed_across_the_same_stretch_of_a_drifting_machine()
    {
        var chooser = new TopologyChooser(probeSteps: 6, settleSteps: 100);
        var ran = new List<bool>();
        // The machine slows down step by step and the star is 5% faster throughout: timed all of one topology and then
        // all of the other, the star would be timed on the slower stretch and lose (10.4 against 11.1 x 0.95 = 10.55).
        for (var step = 0; chooser.Kept is null; step++)
        {
            var peer = chooser.PeerNext;
            ran.Add(peer);
            var drift = 10.0 + (step * 0.1);
            chooser.Record(peer, peer ? drift : drift * 0.95);
        }

        Assert.Equal([true, true, true, true, false, false, false, false, true, true, true, true, false, false, false, false], ran);
        Assert.Equal(ReductionTopology.Star, chooser.Kept);
    }

    [Fact]
    public void Chooser_should_decide_by_median_so_one_slow_step_does_not_decide()
    {
        var chooser = new TopologyChooser(probeSteps: 3, settleSteps: 10);
        double[] peer = [0, 3.0, 3.1, 40.0];
        double[] star = [0, 2.0, 2.2, 2.1];
        foreach (var ms in peer)
        {
            chooser.Record(true, ms);
        }

        var changed = false;
        foreach (var ms in star)
        {
            changed = chooser.Record(false, ms);
        }

        Assert.True(changed);
        Assert.Equal((3.1, 2.1), chooser.Medians);
        Assert.Equal(ReductionTopology.Star, chooser.Kept);
    }

    [Fact]
    public void Chooser_should_not_time_a_step_run_in_the_other_topology_nor_the_step_that_switches_back()
    {
        var chooser = new TopologyChooser(probeSteps: 2, settleSteps: 10);
        chooser.Record(true, 100);
        chooser.Record(false, 1);
        chooser.Record(true, 100);
        chooser.Record(true, 4);
        chooser.Record(true, 4);
        chooser.Record(true, 4);

        Assert.False(chooser.PeerNext);
        chooser.Record(false, 100);
        chooser.Record(true, 1);
        chooser.Record(false, 100);
        Assert.False(chooser.Record(false, 5));
        Assert.True(chooser.Record(false, 5));

        Assert.Equal(ReductionTopology.Peer, chooser.Kept);
        Assert.Equal((4.0, 5.0), chooser.Medians);
    }

    /// <summary>Runs steps until a timing of both ends; returns whether it changed the kept topology.</summary>
    private static bool RunTiming(TopologyChooser chooser, double peerMs, double starMs)
    {
        while (true)
        {
            var peer = chooser.PeerNext;
            var changed = chooser.Record(peer, peer ? peerMs : starMs);
            if (!chooser.IsTiming)
            {
                return changed;
            }
        }
    }

    [Fact]
    public void Chooser_should_replace_the_kept_topology_only_when_the_other_is_faster_by_the_margin()
    {
        var chooser = new TopologyChooser(probeSteps: 3, settleSteps: 4);
        Assert.True(RunTiming(chooser, peerMs: 3.0, starMs: 2.0));
        Assert.Equal(ReductionTopology.Star, chooser.Kept);

        // 5% faster is within the margin (10%): a timing is noisier than that, and switching back and forth costs.
        Run(chooser, chooser.SettleFor, 3.0, 2.0);
        Assert.False(RunTiming(chooser, peerMs: 1.9, starMs: 2.0));
        Assert.Equal(ReductionTopology.Star, chooser.Kept);
        Assert.Equal((1.9, 2.0), chooser.Medians);

        Run(chooser, chooser.SettleFor, 1.9, 2.0);
        Assert.True(RunTiming(chooser, peerMs: 1.7, starMs: 2.0));
        Assert.Equal(ReductionTopology.Peer, chooser.Kept);
    }

    [Fact]
    public void Chooser_should_wait_twice_as_long_each_time_a_timing_keeps_the_same_topology_up_to_the_cap()
    {
        var chooser = new TopologyChooser(probeSteps: 1, settleSteps: 3);
        var waits = new List<int>();
        RunTiming(chooser, peerMs: 3.0, starMs: 2.0);
        for (var timing = 0; timing < 6; timing++)
        {
            waits.Add(chooser.SettleFor);
            Assert.All(Run(chooser, chooser.SettleFor, 3.0, 2.0), Assert.False);
            Assert.True(chooser.IsTiming);
            RunTiming(chooser, 3.0, 2.0);
        }

        Assert.Equal([3, 6, 12, 24, 24, 24], waits);

        // A change starts over from SettleSteps.
        Run(chooser, chooser.SettleFor, 3.0, 2.0);
        Assert.True(RunTiming(chooser, peerMs: 1.0, starMs: 2.0));
        Assert.Equal(3, chooser.SettleFor);
    }

    [Theory]
    [InlineData(0, 1, "probeSteps")]
    [InlineData(1, 0, "settleSteps")]
    public void Chooser_should_refuse_fewer_than_one_step(int probe, int settle, string name)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TopologyChooser(probe, settle));

        Assert.Equal(name, error.ParamName);
    }
}
