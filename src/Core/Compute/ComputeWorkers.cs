using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SegaLearn.Compute;

/// <summary>
/// A fixed set of helper threads, created once, that run the tasks of one <see cref="IParallelWork"/> together
/// with the calling thread; unlike Parallel.For, a run allocates nothing. The tasks are cut into one contiguous
/// range per participant (the caller is participant 0): each works through its own range first, then claims what
/// is left of the others'. Consecutive runs therefore give a participant the same part of their data (the same
/// rows of a layer's output, the same part of the parameters), which stays in its core's cache: on a 2-core VM
/// reading a block the other core wrote cost 15–20 µs per 128 KB. A helper that is late (the machine is shared)
/// simply finds its range taken: the caller never waits for a helper that has not started a task, only for tasks
/// in flight. Helpers spin briefly between runs, because the kernels of a training step follow each other within
/// microseconds, then sleep (at once after <see cref="Rest"/>). One run at a time: callers serialize.
/// </summary>
internal sealed class ComputeWorkers : IDisposable
{
    /// <summary>Cursor longs per participant: 64 bytes, so no two participants' cursors share a cache line.</summary>
    private const int Pad = 8;

    /// <summary>Most tasks in one round of a run (a cursor keeps its next and end tasks in 16 bits each).</summary>
    private const int MaxTasks = ushort.MaxValue;

    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000;

    private readonly object _sleep = new();
    private readonly int _helpers;

    /// <summary>Per participant: the run's generation (high 32 bits), next task (16 bits) and range end (16 bits).</summary>
    private readonly long[] _cursors;

    private readonly Thread[] _threads;

    private int _generation;
    private IParallelWork? _work;
    private int _offset;
    private int _active;
    private int _sleepers;
    private int _resting;
    private int _stopping;
    private ExceptionDispatchInfo? _failure;

    public ComputeWorkers(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _helpers = threads - 1;
        _cursors = new long[threads * Pad];
        _threads = new Thread[_helpers];
        for (var i = 0; i < _helpers; i++)
        {
            var participant = i + 1;
            _threads[i] = new Thread(() => Loop(participant)) { IsBackground = true, Name = $"segalearn-simd-{participant}" };
            _threads[i].Start();
        }
    }

    /// <summary>Stops the helper threads and waits for them; call it once no run is in progress.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        lock (_sleep)
        {
            Monitor.PulseAll(_sleep);
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    public int Threads => _helpers + 1;

    /// <summary>The helper threads (tests).</summary>
    internal IReadOnlyList<Thread> HelperThreads => _threads;

    /// <summary>Sends spinning helpers to sleep now rather than at the end of their spin; the next run wakes them.</summary>
    public void Rest() => Volatile.Write(ref _resting, 1);

    /// <summary>True from <see cref="Rest"/> until the next run.</summary>
    public bool IsResting => Volatile.Read(ref _resting) != 0;

    /// <summary>Helpers asleep until the next run, as opposed to spinning for it.</summary>
    internal int Sleepers => Volatile.Read(ref _sleepers);

    /// <summary>Runs tasks 0..<paramref name="taskCount"/>-1 on the caller and the helpers; returns when all are done.</summary>
    public void Run(IParallelWork work, int taskCount)
    {
        if (_helpers == 0 || taskCount <= 1)
        {
            for (var t = 0; t < taskCount; t++)
            {
                work.Run(t);
            }

            return;
        }

        // A cursor counts tasks in 16 bits: a longer run goes in rounds of at most MaxTasks.
        for (var first = 0; first < taskCount; first += MaxTasks)
        {
            RunRound(work, first, Math.Min(MaxTasks, taskCount - first));
        }
    }

    private void RunRound(IParallelWork work, int first, int taskCount)
    {
        var generation = unchecked(_generation + 1);
        Volatile.Write(ref _resting, 0);
        _work = work;
        _offset = first;
        _failure = null;
        var participants = Threads;
        for (var p = 0; p < participants; p++)
        {
            Volatile.Write(ref _cursors[p * Pad], Pack(generation, p * taskCount / participants, (p + 1) * taskCount / participants));
        }

        Volatile.Write(ref _generation, generation);
        if (Volatile.Read(ref _sleepers) > 0)
        {
            lock (_sleep)
            {
                Monitor.PulseAll(_sleep);
            }
        }

        Drain(0, generation);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _active) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _failure?.Throw();
    }

    private static long Pack(int generation, int next, int end) => ((long)generation << 32) | ((long)next << 16) | (uint)end;

    private static int Generation(long cursor) => (int)(cursor >> 32);

    private static int Next(long cursor) => (int)((cursor >> 16) & 0xFFFF);

    private static int End(long cursor) => (int)(cursor & 0xFFFF);

    /// <summary>Claims and runs tasks of <paramref name="generation"/>: own range first, then the others' in turn.</summary>
    private void Drain(int self, int generation)
    {
        var participants = Threads;
        for (var i = 0; i < participants; i++)
        {
            ref var cursor = ref _cursors[(self + i) % participants * Pad];
            while (true)
            {
                var state = Volatile.Read(ref cursor);
                if (Generation(state) != generation || Next(state) >= End(state))
                {
                    break;
                }

                var work = _work!;
                if (Interlocked.CompareExchange(ref cursor, state + (1L << 16), state) != state)
                {
                    continue;
                }

                try
                {
                    work.Run(_offset + Next(state));
                }
                catch (Exception e)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(e);
                }
            }
        }
    }

    private bool HasNewRun(int seen, out int generation)
    {
        generation = Volatile.Read(ref _generation);
        return generation != seen;
    }

    private void Loop(int participant)
    {
        // A thread inherits the floating-point mode of the thread that starts it, here one inside a kernel's scope; set
        // it anyway, so that the helpers' bits do not hinge on where they happen to be created.
        FlushToZeroMode.EnableForThread();
        var seen = Volatile.Read(ref _generation);
        while (true)
        {
            int generation;
            // A busy spin: yielding here (SpinWait.SpinOnce) measured 2-5% slower on 2-thread products on this VM.
            var until = Stopwatch.GetTimestamp() + SpinTicks;
            while (!HasNewRun(seen, out generation) && Stopwatch.GetTimestamp() < until && Volatile.Read(ref _resting) == 0 && Volatile.Read(ref _stopping) == 0)
            {
                Thread.SpinWait(8);
            }

            if (!HasNewRun(seen, out generation))
            {
                lock (_sleep)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (!HasNewRun(seen, out generation) && Volatile.Read(ref _stopping) == 0)
                    {
                        Monitor.Wait(_sleep);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }
            }

            if (Volatile.Read(ref _stopping) != 0)
            {
                return;
            }

            seen = generation;
            Interlocked.Increment(ref _active);
            Drain(participant, generation);
            Interlocked.Decrement(ref _active);
        }
    }
}
