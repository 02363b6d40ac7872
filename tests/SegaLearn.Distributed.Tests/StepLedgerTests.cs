using SegaLearn.Compute;
using SegaLearn.Coordinator;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// The coordinator's book of one step: the block plan, which results it keeps, the tree-order sum, and the leases of the
/// gradients it holds: every one it accepts goes back exactly once (a pool buffer returned, a loan disposed), and one it
/// does not accept stays with the caller.
/// </summary>
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
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 5, 1, 2, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 1.5, buffer)));
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
            Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 1, 0, 0, 0, 1, 32, 0, gradient)));
        }

        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 1, 0, 0, 0, 1, 32, 0, Finite())));
    }

    [Fact]
    public void Offer_should_drop_duplicates_and_late_replies_and_reject_invalid_gradients()
    {
        var pool = new GradientBufferPool(3);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(64, 32, 2);
        ledger.Begin(7, 0, 3, blocks);
        float[] Good() => [1, 2, 3];

        Assert.Equal(LedgerOutcome.Stale, ledger.Offer(Owned(pool, 6, 0, 3, 0, 1, 32, 0, Good())));
        Assert.Equal(LedgerOutcome.Stale, ledger.Offer(Owned(pool, 7, 0, 2, 0, 1, 32, 0, Good())));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 32, 0, [1, float.NaN, 3])));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 32, 0, [1, float.PositiveInfinity, 3])));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 32, 0, [1, 2])));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 31, 0, Good())));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 7, 0, 3, 5, 1, 32, 0, Good())));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 32, double.NaN, Good())));
        Assert.False(ledger.IsComplete);
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 32, 0.5, Good())));
        Assert.Equal(LedgerOutcome.Duplicate, ledger.Offer(Owned(pool, 7, 0, 3, 0, 1, 32, 0.5, [9, 9, 9])));
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 7, 0, 3, 1, 1, 32, 0.25, [10, 20, 30])));
        Assert.True(ledger.IsComplete);
        var sum = new float[3];
        Assert.Equal(0.75, ledger.Reduce(Backend, sum));
        Assert.Equal([11f, 22f, 33f], sum);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Offer_should_read_lent_gradients_in_place_and_release_each_loan_once_when_reduced(int workers)
    {
        const int length = 257;
        var (leaves, expected) = TreeOf(4, length, seed: (ulong)workers);
        var pool = new GradientBufferPool(length);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(128, 32, workers);
        ledger.Begin(2, 0, 1, blocks);

        var lent = new List<(float[] Gradient, float[] Untouched, Loan Loan)>();
        foreach (var block in blocks.Reverse())
        {
            var gradient = BlockSum(leaves, block, length);
            var loan = new Loan();
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Lent(2, 0, 1, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 1, gradient, block.Index, loan)));
            lent.Add((gradient, (float[])gradient.Clone(), loan));
            var duplicateLoan = new Loan();
            Assert.Equal(LedgerOutcome.Duplicate, ledger.Offer(Lent(2, 0, 1, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 1, gradient, block.Index, duplicateLoan)));
            Assert.Equal(0, duplicateLoan.Disposals);
        }

        Assert.All(lent, l => Assert.Equal(0, l.Loan.Disposals));
        var actual = new float[length];
        Assert.Equal(blocks.Length, ledger.Reduce(Backend, actual));
        Assert.Equal(expected, actual);
        Assert.All(lent, l => Assert.Equal(l.Untouched, l.Gradient));
        Assert.All(lent, l => Assert.Equal(1, l.Loan.Disposals));
    }

    [Fact]
    public void Detach_should_copy_out_only_the_lenders_gradients_so_it_may_overwrite_them_before_the_reduce()
    {
        const int length = 300;
        var (leaves, expected) = TreeOf(4, length, seed: 9);
        var pool = new GradientBufferPool(length);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(128, 32, 3);
        ledger.Begin(4, 1, 0, blocks);

        // Worker 7 lends blocks 0 and 2, worker 8 lends block 1; block 3 is still out.
        var lenders = new[] { 7, 8, 7 };
        var gradients = new float[3][];
        var loans = new Loan[3];
        for (var b = 0; b < 3; b++)
        {
            gradients[b] = BlockSum(leaves, blocks[b], length);
            loans[b] = new Loan();
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Lent(4, 1, 0, blocks[b].FirstMicrobatch, 1, blocks[b].SampleCount, 0.5, gradients[b], lenders[b], loans[b])));
        }

        Assert.Equal(2, ledger.Detach(7));
        Assert.Equal([1, 0, 1], loans.Select(l => l.Disposals));
        Array.Fill(gradients[0], float.NaN);
        Array.Fill(gradients[2], float.NaN);
        Assert.Equal(0, ledger.Detach(7));
        Assert.True(ledger.HasResult(0) && ledger.HasResult(2));

        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Lent(4, 1, 0, blocks[3].FirstMicrobatch, 1, blocks[3].SampleCount, 0.5, BlockSum(leaves, blocks[3], length), 7, new Loan())));
        var actual = new float[length];
        ledger.Reduce(Backend, actual);
        Assert.Equal(expected, actual);
        Assert.Equal([1, 1, 1], loans.Select(l => l.Disposals));
    }

    [Fact]
    public void Offer_should_leave_rejected_leases_with_the_caller_and_release_an_accepted_one_exactly_once()
    {
        var pool = new GradientBufferPool(3);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(64, 32, 2);
        ledger.Begin(5, 0, 2, blocks);
        var (stale, invalid, accepted, duplicate) = (new Loan(), new Loan(), new Loan(), new Loan());

        Assert.Equal(LedgerOutcome.Stale, ledger.Offer(Lent(4, 0, 2, 0, 1, 32, 0.5, [1, 2, 3], 1, stale)));
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Lent(5, 0, 2, 0, 1, 32, 0.5, [1, float.NaN, 3], 1, invalid)));
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Lent(5, 0, 2, 0, 1, 32, 0.5, [1, 2, 3], 1, accepted)));
        Assert.Equal(LedgerOutcome.Duplicate, ledger.Offer(Lent(5, 0, 2, 0, 1, 32, 0.5, [1, 2, 3], 2, duplicate)));
        var rejected = pool.Rent();
        Assert.Equal(LedgerOutcome.Invalid, ledger.Offer(Owned(pool, 5, 0, 2, 1, 1, 31, 0.25, rejected)));
        Assert.NotSame(rejected, pool.Rent());
        Assert.Equal([0, 0, 0, 0], new[] { stale, invalid, accepted, duplicate }.Select(l => l.Disposals));

        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 5, 0, 2, 1, 1, 32, 0.25, [10, 20, 30])));
        var sum = new float[3];
        Assert.Equal(0.75, ledger.Reduce(Backend, sum));
        Assert.Equal([11f, 22f, 33f], sum);
        ledger.Begin(6, 0, 3, blocks);
        ledger.Detach(1);
        Assert.Equal([0, 0, 1, 0], new[] { stale, invalid, accepted, duplicate }.Select(l => l.Disposals));
    }

    [Fact]
    public void Begin_should_release_the_loans_of_an_unfinished_step()
    {
        var ledger = new StepLedger(new GradientBufferPool(3));
        ledger.Begin(1, 0, 0, WorkBlock.Plan(64, 32, 2));
        var loan = new Loan();
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Lent(1, 0, 0, 0, 1, 32, 0.5, new float[] { 1, 2, 3 }, 5, loan)));
        ledger.Begin(2, 0, 1, WorkBlock.Plan(64, 32, 2));
        Assert.Equal(1, loan.Disposals);
        Assert.False(ledger.HasResult(0));
    }

    [Fact]
    public void Ledger_should_return_every_accepted_buffer_to_the_pool_when_it_reduces()
    {
        var pool = new GradientBufferPool(3);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(batchSize: 12, microbatchSize: 4, workers: 3);
        ledger.Begin(1, 0, 0, blocks);
        var offered = blocks.Select(b => pool.Rent()).ToArray();
        for (var i = 0; i < blocks.Length; i++)
        {
            offered[i].AsSpan().Fill(i + 1);
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 1, 0, 0, blocks[i].FirstMicrobatch, blocks[i].MicrobatchCount, blocks[i].SampleCount, 0.5, offered[i])));
        }

        var sum = new float[3];
        Assert.Equal(1.5, ledger.Reduce(Backend, sum));
        Assert.Equal([6f, 6f, 6f], sum);
        Assert.False(ledger.IsComplete);
        var rentedAgain = Enumerable.Range(0, blocks.Length).Select(_ => pool.Rent()).ToArray();
        Assert.All(offered, buffer => Assert.Contains(rentedAgain, again => ReferenceEquals(again, buffer)));
    }

    [Fact]
    public void Reduce_should_return_the_buffers_it_rented_to_add_lent_gradients_to_the_pool()
    {
        const int length = 33;
        var pool = new GradientBufferPool(length);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(batchSize: 16, microbatchSize: 4, workers: 4);
        Assert.Equal([1, 1, 1, 1], blocks.Select(b => b.MicrobatchCount));
        ledger.Begin(1, 0, 0, blocks);
        var (leaves, expected) = TreeOf(4, length, seed: 11);
        var gradients = blocks.Select(b => BlockSum(leaves, b, length)).ToArray();
        foreach (var block in blocks)
        {
            Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Lent(1, 0, 0, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 0, gradients[block.Index], block.Index, new Loan())));
        }

        var sum = new float[length];
        ledger.Reduce(Backend, sum);
        Assert.Equal(expected, sum);

        // Blocks 0+1 and 2+3 are subtrees: each sum went into a rented buffer, and both must be back in the pool.
        var (left, right) = (new float[length], new float[length]);
        Backend.Add(gradients[0], gradients[1], left);
        Backend.Add(gradients[2], gradients[3], right);
        var returned = new[] { pool.Rent(), pool.Rent() };
        Assert.Contains(returned, buffer => buffer.AsSpan().SequenceEqual(left));
        Assert.Contains(returned, buffer => buffer.AsSpan().SequenceEqual(right));
    }

    [Fact]
    public void Ledger_should_call_any_result_stale_before_its_first_step_and_fit_no_block_past_the_last()
    {
        var ledger = new StepLedger(new GradientBufferPool(2));
        Assert.Equal(LedgerOutcome.Stale, ledger.Offer(Owned(new GradientBufferPool(2), 1, 0, 0, 0, 1, 4, 0, new float[2])));

        var blocks = WorkBlock.Plan(8, 4, 2);
        ledger.Begin(1, 0, 0, blocks);
        Assert.True(ledger.Fits(1, 1, 4, 0));
        Assert.False(ledger.Fits(blocks.Length, 1, 4, 0));
        Assert.False(ledger.Fits(-1, 1, 4, 0));
    }

    [Fact]
    public void Ledger_should_return_the_buffers_of_an_unfinished_step_to_the_pool_when_the_next_begins()
    {
        var pool = new GradientBufferPool(3);
        var ledger = new StepLedger(pool);
        var blocks = WorkBlock.Plan(8, 4, 2);
        ledger.Begin(1, 0, 0, blocks);
        var held = pool.Rent();
        Assert.Equal(LedgerOutcome.Accepted, ledger.Offer(Owned(pool, 1, 0, 0, 0, 1, 4, 0, held)));

        ledger.Begin(2, 0, 1, blocks);
        Assert.False(ledger.HasResult(0));
        Assert.Same(held, pool.Rent());
    }

    [Fact]
    public void Ledger_should_count_the_samples_of_all_blocks_and_be_complete_only_with_every_block()
    {
        var pool = new GradientBufferPool(2);
        var ledger = new StepLedger(pool);
        Assert.False(ledger.IsComplete);
        var blocks = WorkBlock.Plan(batchSize: 10, microbatchSize: 4, workers: 3);
        ledger.Begin(7, 1, 2, blocks);

        Assert.Equal(10, ledger.SampleCount);
        Assert.Equal(-1, ledger.IndexOf(99));
        Assert.False(ledger.HasResult(blocks.Length));
        Assert.False(ledger.HasResult(-1));
        foreach (var block in blocks)
        {
            Assert.False(ledger.IsComplete);
            ledger.Offer(Owned(pool, 7, 1, 2, block.FirstMicrobatch, block.MicrobatchCount, block.SampleCount, 0, pool.Rent()));
        }

        Assert.True(ledger.IsComplete);
    }

    private static FrameHeader Header(long version, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum) =>
        new()
        {
            ParameterVersion = version,
            Epoch = epoch,
            Step = step,
            FirstMicrobatch = firstMicrobatch,
            MicrobatchCount = microbatchCount,
            SampleCount = sampleCount,
            LossSum = lossSum,
        };

    private static ReceivedGradient Owned(
        GradientBufferPool pool, long version, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum, float[] gradient) =>
        ReceivedGradient.Owned(Header(version, epoch, step, firstMicrobatch, microbatchCount, sampleCount, lossSum), gradient, pool);

    private static ReceivedGradient Lent(
        long version, int epoch, int step, int firstMicrobatch, int microbatchCount, int sampleCount, double lossSum, float[] gradient, int lender, IDisposable loan) =>
        ReceivedGradient.Lent(Header(version, epoch, step, firstMicrobatch, microbatchCount, sampleCount, lossSum), gradient, lender, loan);

    private static (float[][] Leaves, float[] Sum) TreeOf(int count, int length, ulong seed)
    {
        var random = new DeterministicRandom(3, seed);
        var leaves = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => (float)random.NextGaussian()).ToArray()).ToArray();
        var sum = new float[length];
        GradientTree.Sum(Backend, leaves, sum);
        return (leaves, sum);
    }

    private static float[] BlockSum(float[][] leaves, WorkBlock block, int length)
    {
        var sum = new float[length];
        GradientTree.Sum(Backend, leaves[block.FirstMicrobatch..(block.FirstMicrobatch + block.MicrobatchCount)], sum);
        return sum;
    }

    private sealed class Loan : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
