using System.Net;
using SegaLearn.Compute;
using SegaLearn.Protocol;
using SegaLearn.Training;
using SegaLearn.Worker;

namespace SegaLearn.Distributed.Tests;

public sealed class ShardReducerTests
{
    private const int Length = 40_000;

    public static TheoryData<string, int, WireFormat> Cases => new()
    {
        { "reference", 2, WireFormat.Float32 },
        { "reference", 3, WireFormat.Float32 },
        { "simd", 3, WireFormat.Float32 },
        { "simd", 4, WireFormat.Float32 },
        { "reference", 2, WireFormat.BFloat16 },
        { "simd", 3, WireFormat.BFloat16 },
    };

    // 7 microbatches in blocks of 2, 2, 2, 1: the shards summed part by part by their owners, pieces arriving in any order
    // and one before the plan, must be the slices of the tree sum over all microbatches computed by plain recursion
    // (in bfloat16 a tree whose every node is rounded, in parts twice as long).
    [Theory]
    [MemberData(nameof(Cases))]
    public void Owners_should_sum_to_slices_of_the_tree_sum_when_pieces_arrive_in_any_order(string backendName, int members, WireFormat format)
    {
        using var backend = Backends.Create(backendName, 1, "test");
        var random = new Random(7);
        var leaves = Enumerable.Range(0, 7).Select(_ => Leaf(random)).ToArray();
        (int First, int Count)[] blocks = [(0, 2), (2, 2), (4, 2), (6, 1)];
        var blockSums = blocks.Select(b => TreeSum(backend, leaves[b.First..(b.First + b.Count)], format)).ToArray();
        var expected = TreeSum(backend, leaves, format);
        var plan = Plan(members, blocks, attempt: 1);

        var total = new float[Length];
        for (var shard = 0; shard < members; shard++)
        {
            var (shardOffset, shardLength) = StepPlan.ShardOf(shard, members, Length);
            var reducer = new ShardReducer(format);
            var parts = StepPlan.PartsOf(shardOffset, shardLength, format).ToArray();
            Assert.Equal(Math.Min(shardLength, StepPlan.PartBytes / FrameCodec.ElementSize(format)), parts[0].Length);
            var pieces = (from part in parts from b in Enumerable.Range(0, blocks.Length) select (part, b))
                .OrderBy(_ => random.Next()).ToArray();
            var ((earlyOffset, earlyLength), earlyBlock) = pieces[0];
            Assert.Equal(PieceOutcome.Early, reducer.Add(Piece(plan, blocks[earlyBlock], earlyOffset, earlyLength), Slice(blockSums[earlyBlock], earlyOffset, earlyLength)));
            Assert.False(reducer.Begin(plan, shard, Length));
            foreach (var ((offset, length), b) in pieces[1..])
            {
                Assert.NotEqual(PieceOutcome.Dropped, reducer.Add(Piece(plan, blocks[b], offset, length), Slice(blockSums[b], offset, length)));
                while (reducer.TakeReadyPart() is { } ready)
                {
                    Assert.Equal(ready.Length, reducer.SumPart(backend, ready.Offset, total.AsSpan(ready.Offset)));
                }
            }
        }

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), total.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Owner_should_drop_stale_and_repeated_pieces_and_flag_non_finite_ones()
    {
        (int, int)[] blocks = [(0, 1), (1, 1)];
        var plan = Plan(2, blocks, attempt: 2);
        var (offset, _) = StepPlan.ShardOf(1, 2, Length);
        var length = StepPlan.PartElements(WireFormat.Float32);
        var reducer = new ShardReducer();
        reducer.Begin(plan, 1, Length);
        var piece = Piece(plan, (0, 1), offset, length);

        Assert.Null(reducer.Rent(piece with { Attempt = 1 }));
        Assert.Equal(PieceOutcome.Dropped, reducer.Add(piece with { Attempt = 1 }, new float[length]));
        Assert.Equal(PieceOutcome.Accepted, reducer.Add(piece, new float[length]));
        Assert.Equal(PieceOutcome.Dropped, reducer.Add(piece, new float[length]));
        Assert.Equal(PieceOutcome.Malformed, reducer.Add(piece with { ElementOffset = 0 }, new float[length]));
        var poisoned = new float[length];
        poisoned[length / 2] = float.NaN;
        Assert.Equal(PieceOutcome.NotFinite, reducer.Add(Piece(plan, (1, 1), offset, length), poisoned));
        Assert.Equal(PieceOutcome.Complete, reducer.Add(Piece(plan, (1, 1), offset, length), new float[length]));
    }

    private static StepPlan Plan(int members, (int, int)[] blocks, int attempt) =>
        new(5, 1, 3, attempt, Enumerable.Range(1, members).Select(id => new PeerEndpoint(id, IPAddress.Loopback, 40000 + id)).ToArray(), blocks);

    private static FrameHeader Piece(StepPlan plan, (int First, int Count) block, int offset, int length) => new()
    {
        Kind = FrameKind.Piece,
        ParameterVersion = plan.ParameterVersion,
        Epoch = plan.Epoch,
        Step = plan.Step,
        Attempt = plan.Attempt,
        FirstMicrobatch = block.First,
        MicrobatchCount = block.Count,
        ElementOffset = offset,
        ElementCount = length,
    };

    private static float[] Slice(float[] values, int offset, int length) => values.AsSpan(offset, length).ToArray();

    private static float[] TreeSum(IComputeBackend backend, float[][] leaves, WireFormat format)
    {
        var sum = new float[Length];
        GradientTree.Sum(backend, leaves, sum, format);
        return sum;
    }

    /// <summary>Values of mixed magnitude and sign, so the order of additions shows in the last bits.</summary>
    private static float[] Leaf(Random random) =>
        Enumerable.Range(0, Length).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 6)))).ToArray();
}
