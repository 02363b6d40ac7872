using System.Net;

namespace SegaLearn.Protocol.Tests;

public sealed class StepPlanTests
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 235_146)]
    [InlineData(3, 235_146)]
    [InlineData(4, 50)]
    [InlineData(3, 7)]
    public void Shards_should_cover_the_parameters_in_order_without_overlap_when_split_among_members(int shards, int parameters)
    {
        var next = 0;
        for (var i = 0; i < shards; i++)
        {
            var (offset, length) = StepPlan.ShardOf(i, shards, parameters);
            Assert.Equal(next, offset);
            Assert.True(length >= 0);
            Assert.True(i == 0 || offset % StepPlan.ShardAlignment == 0, $"shard {i} starts at {offset}");
            next = offset + length;
        }

        Assert.Equal(parameters, next);
    }

    [Fact]
    public void Plan_should_read_back_members_and_blocks_when_sent_as_a_frame()
    {
        var plan = new StepPlan(
            41, 2, 17, 3,
            [new PeerEndpoint(4, IPAddress.Parse("10.231.0.2"), 40001), new PeerEndpoint(9, IPAddress.Parse("fd00::7"), 65535)],
            [(0, 2), (2, 2), (4, 1)]);

        var read = StepPlan.FromFrame(plan.Header(), plan.ToPayload());

        Assert.Equal((41L, 2, 17, 3), (read.ParameterVersion, read.Epoch, read.Step, read.Attempt));
        Assert.Equal(plan.Members, read.Members);
        Assert.Equal(plan.Blocks, read.Blocks);
        Assert.Equal(9, read.Successor(4)?.WorkerId);
        Assert.Null(read.Successor(9));
        Assert.Equal(2, read.BlockIndexOf(4));
    }

    [Fact]
    public void Plan_should_be_refused_when_its_payload_does_not_hold_what_it_announces()
    {
        var payload = new StepPlan(1, 0, 0, 1, [new PeerEndpoint(1, IPAddress.Loopback, 1)], [(0, 1)]).ToPayload();

        Assert.Throws<FrameException>(() => StepPlan.FromFrame(default, payload[..^1]));
    }
}
