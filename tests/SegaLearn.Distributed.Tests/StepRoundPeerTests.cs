using System.Net;
using SegaLearn.Compute;
using SegaLearn.Coordinator;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// The coordinator's book of a step under peer reduction, without actors or sockets: parts of the gradient sum and
/// blocks' Done are taken once per attempt, the trainer's update runs once per parameter even when an attempt starts
/// over, and the step's version stays at hand for the new attempt.
/// </summary>
public sealed class StepRoundPeerTests
{
    private const int Length = 100;
    private const long Version = 7;
    private static readonly PeerEndpoint[] Members = [new(1, IPAddress.Loopback, 40001), new(2, IPAddress.Loopback, 40002)];

    private readonly float[] _parameters = new float[Length];
    private readonly float[] _gradientSum = new float[Length];
    private readonly List<(int Offset, int Length)> _updated = [];
    private readonly GradientBufferPool _pool = new(Length);
    private readonly StepRound _round;

    public StepRoundPeerTests()
    {
        _round = new StepRound(_pool, new ReferenceBackend());
        // 8 rows in microbatches of 2 for 2 workers: blocks (0, 2 microbatches) and (2, 2), 4 samples each.
        _round.Begin(new StepWork(3, 5, Enumerable.Range(10, 8).ToArray()), _parameters, Version, _gradientSum, 2, 2, Update);
    }

    [Fact]
    public void Round_should_update_each_parameter_once_and_keep_the_version_when_an_attempt_starts_over()
    {
        _round.StartAttempt(Members);
        var (offset0, length0) = StepPlan.ShardOf(0, 2, Length);
        var (offset1, length1) = StepPlan.ShardOf(1, 2, Length);
        Assert.Equal(LedgerOutcome.Accepted, _round.OfferShard(1, Shard(attempt: 1, offset0), Values(length0, 1f)));
        Assert.Equal([(offset0, length0)], _round.ApplyUpdate(offset0, length0));

        _round.StartAttempt(Members);

        Assert.Equal(2, _round.Attempt);
        Assert.All(_round.VersionParameters, value => Assert.Equal(0f, value));
        Assert.Equal(LedgerOutcome.Stale, _round.OfferShard(2, Shard(attempt: 1, offset1), Values(length1, 2f)));
        Assert.Equal(LedgerOutcome.Stale, _round.OfferDone(Done(attempt: 1, first: 0, loss: 1), out _));
        Assert.Equal(LedgerOutcome.Accepted, _round.OfferShard(1, Shard(attempt: 2, offset0), Values(length0, 1f)));
        Assert.Empty(_round.ApplyUpdate(offset0, length0));
        Assert.Equal(LedgerOutcome.Duplicate, _round.OfferShard(1, Shard(attempt: 2, offset0), Values(length0, 1f)));
        Assert.Equal(LedgerOutcome.Invalid, _round.OfferShard(1, Shard(attempt: 2, offset1), Values(length1, 2f)));
        Assert.Equal(LedgerOutcome.Invalid, _round.OfferShard(2, Shard(attempt: 2, offset1 + 1), Values(length1 - 1, 2f)));
        Assert.Equal(LedgerOutcome.Accepted, _round.OfferShard(2, Shard(attempt: 2, offset1), Values(length1, 2f)));
        Assert.Equal([(offset1, length1)], _round.ApplyUpdate(offset1, length1));
        Assert.Equal(LedgerOutcome.Invalid, _round.OfferDone(Done(attempt: 2, first: 0, loss: double.NaN), out _));
        Assert.Equal(LedgerOutcome.Invalid, _round.OfferDone(Done(attempt: 2, first: 0, loss: 1) with { SampleCount = 3 }, out _));
        Assert.Equal(LedgerOutcome.Accepted, _round.OfferDone(Done(attempt: 2, first: 0, loss: 1.25), out var first));
        Assert.False(_round.IsComplete);
        Assert.Equal(LedgerOutcome.Duplicate, _round.OfferDone(Done(attempt: 2, first: 0, loss: 1.25), out _));
        Assert.Equal(LedgerOutcome.Accepted, _round.OfferDone(Done(attempt: 2, first: 2, loss: 2.5), out var second));

        Assert.True(_round.IsComplete);
        var (result, _) = _round.Finish(2);
        Assert.True(_round.Updated);
        Assert.Equal((0, 1), (first, second));
        Assert.Equal(new StepResult(3.75, 8), result);
        Assert.Equal(Enumerable.Repeat(1f, length0).Concat(Enumerable.Repeat(2f, length1)), _gradientSum);
        Assert.All(_parameters, value => Assert.Equal(1f, value));
        Assert.Equal([(offset0, length0), (offset1, length1)], _updated);
    }

    [Fact]
    public void Round_should_give_every_parameter_of_the_version_when_an_attempt_starts_over_after_parts_were_updated()
    {
        var version = Enumerable.Range(0, Length).Select(i => 3 + (0.25f * i)).ToArray();
        version.CopyTo(_parameters, 0);
        _round.StartAttempt(Members);
        var (offset1, length1) = StepPlan.ShardOf(1, 2, Length);
        _round.OfferShard(2, Shard(attempt: 1, offset1), Values(length1, 2f));
        _round.ApplyUpdate(offset1, length1);

        _round.StartAttempt(Members);

        Assert.Equal(version, _round.VersionParameters);
        var (offset0, length0) = StepPlan.ShardOf(0, 2, Length);
        _round.OfferShard(1, Shard(attempt: 2, offset0), Values(length0, 1f));
        _round.ApplyUpdate(offset0, length0);
        Assert.Equal(version, _round.VersionParameters);
        Assert.Equal(version.Select(value => value + 1), _parameters);
    }

    [Fact]
    public void Round_should_update_the_rest_once_when_an_attempt_falls_back_to_the_star()
    {
        _round.StartAttempt(Members);
        var (offset0, length0) = StepPlan.ShardOf(0, 2, Length);
        _round.OfferShard(1, Shard(attempt: 1, offset0), Values(length0, 1f));
        _round.ApplyUpdate(offset0, length0);

        _round.StartAttempt([Members[0]]);

        Assert.Null(_round.Plan);
        foreach (var (first, loss) in new[] { (0, 1.0), (2, 2.0) })
        {
            var gradient = Values(Length, 0.5f);
            Assert.Equal(LedgerOutcome.Accepted, _round.Offer(Result(first, loss, gradient)));
        }

        Assert.True(_round.IsComplete);
        var (result, _) = _round.Finish(1);
        Assert.True(_round.Updated);
        Assert.Equal(3.0, result.LossSum);
        Assert.All(_gradientSum, value => Assert.Equal(1f, value));
        Assert.All(_parameters, value => Assert.Equal(1f, value));
        Assert.Equal([(offset0, length0), (length0, Length - length0)], _updated);
    }

    [Fact]
    public void Round_should_leave_the_update_to_the_trainer_when_no_part_was_updated()
    {
        _round.StartAttempt([]);
        foreach (var first in new[] { 0, 2 })
        {
            var gradient = Values(Length, 0.5f);
            _round.Offer(Result(first, 1, gradient));
        }

        _round.Finish(1);

        Assert.False(_round.Updated);
        Assert.Empty(_updated);
    }

    /// <summary>A block of two microbatches of 4 samples, answered in the star with <paramref name="gradient"/>.</summary>
    private ReceivedGradient Result(int firstMicrobatch, double lossSum, float[] gradient) =>
        ReceivedGradient.Owned(
            new FrameHeader { ParameterVersion = Version, Epoch = 3, Step = 5, FirstMicrobatch = firstMicrobatch, MicrobatchCount = 2, SampleCount = 4, LossSum = lossSum },
            gradient,
            _pool);

    /// <summary>The trainer's update as a test sees it: each parameter must be updated once, by adding 1.</summary>
    private void Update(int offset, int length)
    {
        _updated.Add((offset, length));
        for (var i = offset; i < offset + length; i++)
        {
            _parameters[i] += 1;
        }
    }

    private static FrameHeader Shard(int attempt, int offset) =>
        new() { Kind = FrameKind.ShardSum, ParameterVersion = Version, Epoch = 3, Step = 5, Attempt = attempt, ElementOffset = offset };

    private static FrameHeader Done(int attempt, int first, double loss) => new()
    {
        Kind = FrameKind.Done,
        ParameterVersion = Version,
        Epoch = 3,
        Step = 5,
        Attempt = attempt,
        FirstMicrobatch = first,
        MicrobatchCount = 2,
        SampleCount = 4,
        LossSum = loss,
    };

    private static float[] Values(int length, float value) => Enumerable.Repeat(value, length).ToArray();
}
