using SegaLearn.Compute;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

/// <summary>
/// The gradient tree's and buffer pool's book-keeping beyond the sums: which buffers go back to the pool, and the
/// arguments each refuses (the step ledger's is in SegaLearn.Distributed.Tests, beside the coordinator).
/// </summary>
public sealed class BookkeepingTests
{
    private static readonly ReferenceBackend Backend = new();

    [Fact]
    public void Pool_should_hand_out_a_returned_buffer_again_before_allocating()
    {
        var pool = new GradientBufferPool(5);
        var first = pool.Rent();
        pool.Return(first);
        Assert.Same(first, pool.Rent());
        Assert.NotSame(first, pool.Rent());
        Assert.Throws<ArgumentException>(() => pool.Return(new float[4]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-2)]
    public void Tree_should_refuse_a_block_that_is_not_a_power_of_two(int leaves)
    {
        var tree = new GradientTree(Backend, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Push(leaves));
    }

    [Fact]
    public void Tree_should_refuse_a_misaligned_or_larger_block_and_an_empty_finish()
    {
        var tree = new GradientTree(Backend, 2);
        Assert.Throws<InvalidOperationException>(() => tree.Finish(new float[2]));
        tree.NextLeaf().Fill(1f);
        tree.Push();
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Push(2));
        tree.NextLeaf().Fill(2f);
        tree.Push();
        tree.NextLeaf().Fill(4f);
        tree.Push();
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Push(4));
        Assert.Equal(3, tree.LeafCount);
        var sum = new float[2];
        tree.Finish(sum);
        Assert.Equal([7f, 7f], sum);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientTree(Backend, -1));
    }

    [Fact]
    public void Block_sums_should_refuse_mismatched_lists_and_unaligned_blocks()
    {
        float[]?[] buffers = [new float[2], new float[2]];
        var lent = new ReadOnlyMemory<float>[2];
        Assert.Throws<ArgumentException>(() => GradientTree.SumBlocks(Backend, buffers, lent, [1], new float[2], () => new float[2]));
        Assert.Throws<ArgumentException>(() => GradientTree.SumBlocks(Backend, [], [], [], new float[2], () => new float[2]));
        Assert.Throws<ArgumentException>(() => GradientTree.SumBlocks(Backend, buffers, lent, [1, 2], new float[2], () => new float[2]));
        Assert.Throws<ArgumentException>(() => GradientTree.Sum(Backend, [], new float[2]));
    }

    [Fact]
    public void Cuts_should_refuse_sizes_that_make_no_batch()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Microbatch.CountFor(-1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Microbatch.CountFor(8, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Microbatch.Get(-1, 8, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Microbatch.Get(2, 8, 4));
        Assert.Equal(new Microbatch(1, 4, 3), Microbatch.Get(1, 7, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkBlock.Plan(0, 4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkBlock.Plan(8, 4, 0));
    }

    [Fact]
    public void Local_engine_should_refuse_to_compute_before_it_is_started()
    {
        using var engine = new LocalTrainingEngine();
        Assert.Equal("single process", engine.Describe());
        Assert.Throws<InvalidOperationException>(() => engine.ComputeGradient(new StepWork(0, 0, new[] { 0 }), [], 0, []));
    }
}
