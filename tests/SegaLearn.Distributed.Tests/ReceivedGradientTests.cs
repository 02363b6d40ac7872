using SegaLearn.Coordinator;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

/// <summary>A received gradient's lease: an owned buffer goes back to its pool, a loan is disposed, copying out ends the loan.</summary>
public sealed class ReceivedGradientTests
{
    private static readonly FrameHeader Header = new() { ParameterVersion = 3, Epoch = 1, Step = 2, FirstMicrobatch = 4, MicrobatchCount = 2, SampleCount = 64, LossSum = 1.25 };

    [Fact]
    public void Release_should_return_an_owned_buffer_to_its_pool()
    {
        var pool = new GradientBufferPool(4);
        var buffer = pool.Rent();
        var gradient = ReceivedGradient.Owned(Header, buffer, pool, computeMilliseconds: 2.5);
        Assert.False(gradient.IsLent);
        Assert.Equal(0, gradient.Lender);
        Assert.Equal(2.5, gradient.ComputeMilliseconds);

        gradient.Release();

        Assert.Same(buffer, pool.Rent());
        Assert.NotSame(buffer, pool.Rent());
    }

    [Fact]
    public void Release_should_keep_a_buffer_of_another_length_out_of_the_pool()
    {
        var pool = new GradientBufferPool(4);
        var stranger = new float[3];

        ReceivedGradient.Owned(Header, stranger, pool).Release();

        Assert.Equal(4, pool.Rent().Length);
    }

    [Fact]
    public void CopyOut_should_give_the_lent_values_in_a_pool_buffer_and_dispose_the_loan_once()
    {
        var pool = new GradientBufferPool(3);
        float[] shared = [1.5f, -2f, float.Epsilon];
        var loan = new CountingLoan();
        var lent = ReceivedGradient.Lent(Header, shared, lender: 9, loan, computeMilliseconds: 0.75);
        Assert.True(lent.IsLent);
        Assert.Equal(9, lent.Lender);

        var owned = lent.CopyOut(pool);
        Assert.Equal(1, loan.Disposals);
        shared.AsSpan().Fill(float.NaN);

        Assert.False(owned.IsLent);
        Assert.Equal([1.5f, -2f, float.Epsilon], owned.Values.ToArray());
        Assert.Equal(Header, owned.Header);
        Assert.Equal(0.75, owned.ComputeMilliseconds);
        var copy = owned.Values.ToArray();
        owned.Release();
        Assert.Equal(1, loan.Disposals);
        Assert.Equal(copy, pool.Rent());
    }

    [Fact]
    public void CopyOut_should_leave_an_owned_gradient_as_it_is()
    {
        var pool = new GradientBufferPool(2);
        var buffer = pool.Rent();
        var owned = ReceivedGradient.Owned(Header, buffer, pool);

        var same = owned.CopyOut(pool);

        Assert.False(same.IsLent);
        Assert.True(same.Values.Span == buffer.AsSpan());
        Assert.NotSame(buffer, pool.Rent());
    }

    [Fact]
    public void Release_should_dispose_a_loan_and_a_default_value_should_hold_nothing()
    {
        var loan = new CountingLoan();
        ReceivedGradient.Lent(Header, new float[2], lender: 1, loan).Release();
        Assert.Equal(1, loan.Disposals);

        var none = default(ReceivedGradient);
        Assert.False(none.HasValues);
        none.Release();
    }

    private sealed class CountingLoan : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
