using SegaLearn.Compute;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

public sealed class StepLedgerTests
{
    private static readonly ReferenceBackend Backend = new();

    [Theory]
    [InlineData(128, 32, 1, new[] { 4 })]
    [InlineData(128, 32, 2, new[] { 2, 2 })]
    [InlineData(128, 32, 3, new[] { 1, 1, 1, 1 })]
    [InlineData(100, 32, 2, new[] { 2, 2 })]
    [InlineData(200, 32, 2, new[] { 2, 2, 2, 1 })]
    [InlineData(10, 32, 8, new[] { 1 })]
    public void Plan_should_cut_aligned_power_of_two_blocks(int batch, int microbatch, int workers, int[] sizes)
    {
        var blocks = WorkBlock.Plan(batch, microbatch, workers);
        Assert.Equal(sizes, blocks.Select(b => b.MicrobatchCount).ToArray());
        Assert.Equal(batch, blocks.Sum(b => b.SampleCount));
        var next = 0;
        foreach (var block in blocks)
        {
            Assert.Equal(next, block.FirstSample);
            Assert.Equal(block.FirstMicrobatch * microbatch, block.FirstSample);
            next += block.SampleCount;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Reduce_should_equal_the_leaf_by_leaf_tree_for_any_worker_count(int workers)
    {
        const int length = 13, microbatches = 7;
        var random = new DeterministicRandom(11);
        var leaves = Enumerable.Range(0, microbatches)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (float)(random.NextGaussian() * 100)).ToArray()).ToArray();
        var expected = new float[length];
        GradientTree.Sum(Backend, leaves, expected);

        var pool = new GradientBufferPool(length);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(microbatches * 4 - 2, 4, workers);
        ledger.Begin(5, 1, 2, blocks);
        foreach (var block in blocks.Reverse())
        {
            var buffer = pool.Rent();
            GradientTree.Sum(Backend, leaves[block.FirstMicrobatch..(block.FirstMicrobatch + block.MicrobatchCount)], buffer);
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(5, 1, 2, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 1.5, buffer));
        }

        var actual = new float[length];
        Assert.Equal(1.5 * blocks.Length, ledger.Reduce(Backend, actual));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(995)]
    [InlineData(1002)]
    public void Offer_should_reject_a_long_gradient_with_one_non_finite_value_anywhere(int position)
    {
        const int length = 1003;
        var pool = new GradientBufferPool(length);
        var ledger = new StepLedger(pool);
        ledger.Begin(1, 0, 0, WorkBlock.Plan(32, 32, 1));

        // Extreme finite values must pass: the largest float, the smallest subnormal, -0.
        float[] Finite() => Enumerable.Range(0, length).Select(i => (i % 4) switch { 0 => float.MaxValue, 1 => -float.Epsilon, 2 => -0f, _ => i }).ToArray();
        foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var gradient = Finite();
            gradient[position] = bad;
            Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(1, 0, 0, 0, 1, 32, 0, gradient));
        }

        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(1, 0, 0, 0, 1, 32, 0, Finite()));
    }

    [Fact]
    public void Offer_should_drop_duplicates_and_late_replies_and_reject_invalid_gradients()
    {
        var pool = new GradientBufferPool(3);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(64, 32, 2);
        ledger.Begin(7, 0, 3, blocks);
        float[] Good() => [1, 2, 3];

        Assert.Equal(LedgerOutcome.Stale, ledger.Offer(6, 0, 3, 0, 1, 32, 0, Good()));
        Assert.Equal(LedgerOutcome.Stale, ledger.Offer(7, 0, 2, 0, 1, 32, 0, Good()));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(7, 0, 3, 0, 1, 32, 0, [1, float.NaN, 3]));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(7, 0, 3, 0, 1, 32, 0, [1, float.PositiveInfinity, 3]));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(7, 0, 3, 0, 1, 32, 0, [1, 2]));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(7, 0, 3, 0, 1, 31, 0, Good()));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(7, 0, 3, 5, 1, 32, 0, Good()));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(7, 0, 3, 0, 1, 32, double.NaN, Good()));
        Assert.False(ledger.IsComplete);
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(7, 0, 3, 0, 1, 32, 0.5, Good()));
        Assert.Equal(LedgerOutcome.Duplicate, ledger.Offer(7, 0, 3, 0, 1, 32, 0.5, [9, 9, 9]));
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(7, 0, 3, 1, 1, 32, 0.25, [10, 20, 30]));
        Assert.True(ledger.IsComplete);
        var sum = new float[3];
        Assert.Equal(0.75, ledger.Reduce(Backend, sum));
        Assert.Equal([11f, 22f, 33f], sum);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Offer_should_copy_a_lent_gradient_unless_it_completes_the_step_and_reduce_to_the_tree_sum(int workers)
    {
        const int length = 257;
        var random = new DeterministicRandom(3, (ulong)workers);
        var leaves = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, length).Select(_ => (float)random.NextGaussian()).ToArray()).ToArray();
        var expected = new float[length];
        GradientTree.Sum(Backend, leaves, expected);
        var pool = new GradientBufferPool(length);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(128, 32, workers);
        ledger.Begin(2, 0, 1, blocks);

        // Lent in reverse order, so the last one (the step's completion, read in place) is the tree's leftmost block.
        var lent = new List<float[]>();
        foreach (var block in blocks.Reverse())
        {
            var gradient = new float[length];
            GradientTree.Sum(Backend, leaves[block.FirstMicrobatch..(block.FirstMicrobatch + block.MicrobatchCount)], gradient);
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(2, 0, 1, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 1, gradient, null));
            lent.Add(gradient);
            Assert.Equal(LedgerOutcome.Duplicate, ledger.Offer(2, 0, 1, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 1, gradient, null));
        }

        var completing = lent[^1];
        var untouched = (float[])completing.Clone();
        foreach (var earlier in lent[..^1])
        {
            // A lender may reuse its buffer as soon as Offer returns, unless its gradient completed the step.
            Array.Fill(earlier, float.NaN);
        }

        var actual = new float[length];
        Assert.Equal(blocks.Length, ledger.Reduce(Backend, actual));
        Assert.Equal(expected, actual);
        Assert.Equal(untouched, completing);
    }
}
