using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// A block's gradient as it reached the coordinator: what the worker claims for it (<see cref="Header"/>: version,
/// epoch, step, microbatches, samples, loss sum), its values, and their lease. The values are either owned, a buffer
/// of the coordinator's pool (read from a socket, or written by an in-process worker), or lent by worker
/// <see cref="Lender"/>, still in its shared memory and held there by a loan (a <see cref="SharedSlotPin"/>).
/// <para>
/// A struct, so that receiving one allocates nothing. Whoever holds it lets it go exactly once: either
/// <see cref="Release"/> (the buffer back to its pool, or the loan disposed) or hands it on — to the
/// <see cref="StepLedger"/>, which then owns it when it accepts it and leaves it with the caller when it does not.
/// </para>
/// </summary>
public readonly struct ReceivedGradient
{
    private readonly float[]? _buffer;
    private readonly GradientBufferPool? _pool;
    private readonly IDisposable? _loan;

    private ReceivedGradient(in FrameHeader header, double computeMilliseconds, ReadOnlyMemory<float> values, float[]? buffer, GradientBufferPool? pool, int lender, IDisposable? loan)
    {
        Header = header;
        ComputeMilliseconds = computeMilliseconds;
        Values = values;
        _buffer = buffer;
        _pool = pool;
        Lender = lender;
        _loan = loan;
    }

    /// <summary>What the worker says the gradient is for; the ledger checks it against the step's plan.</summary>
    public FrameHeader Header { get; }

    /// <summary>How long the worker computed the block, for the step's metrics.</summary>
    public double ComputeMilliseconds { get; }

    /// <summary>The gradient; not to be read after <see cref="Release"/>.</summary>
    public ReadOnlyMemory<float> Values { get; }

    /// <summary>Whether the values are still in worker <see cref="Lender"/>'s memory rather than in a pool buffer.</summary>
    public bool IsLent => _loan is not null;

    /// <summary>The worker that lent the values; 0 for owned ones.</summary>
    public int Lender { get; }

    /// <summary>False for the default value, which holds nothing.</summary>
    public bool HasValues => _buffer is not null || _loan is not null;

    /// <summary>The pool buffer that holds the values, which the reduction may add into; null when they are lent.</summary>
    internal float[]? Buffer => _buffer;

    /// <summary>A gradient in <paramref name="buffer"/>, rented from <paramref name="pool"/> (it goes back there when released).</summary>
    public static ReceivedGradient Owned(in FrameHeader header, float[] buffer, GradientBufferPool pool, double computeMilliseconds = 0)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(pool);
        return new ReceivedGradient(header, computeMilliseconds, buffer, buffer, pool, 0, null);
    }

    /// <summary>A gradient read where <paramref name="lender"/> left it, readable until <paramref name="loan"/> is disposed.</summary>
    public static ReceivedGradient Lent(in FrameHeader header, ReadOnlyMemory<float> values, int lender, IDisposable loan, double computeMilliseconds = 0)
    {
        ArgumentNullException.ThrowIfNull(loan);
        return new ReceivedGradient(header, computeMilliseconds, values, null, null, lender, loan);
    }

    /// <summary>
    /// Lets the values go: an owned buffer back to its pool (unless it is not of the pool's length, i.e. never came from
    /// it), a loan disposed. The value must not be used, nor released again, afterwards.
    /// </summary>
    public void Release()
    {
        if (_buffer is not null && _buffer.Length == _pool!.Length)
        {
            _pool.Return(_buffer);
        }

        _loan?.Dispose();
    }

    /// <summary>
    /// The same gradient owned: lent values are copied into a buffer of <paramref name="pool"/> and the loan is disposed,
    /// so the lender may overwrite them; owned ones are returned as they are. This value must not be used afterwards.
    /// </summary>
    public ReceivedGradient CopyOut(GradientBufferPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (!IsLent)
        {
            return this;
        }

        var copy = pool.Rent();
        Values.Span.CopyTo(copy);
        _loan!.Dispose();
        return Owned(Header, copy, pool, ComputeMilliseconds);
    }
}
