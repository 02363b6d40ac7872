using System.Diagnostics;
using Akka.Actor;
using SegaLearn.Protocol;

namespace SegaLearn.Worker;

/// <summary>
/// A remote worker's data-plane connection and its compute loop. Parameter versions and block assignments arrive on
/// the connection's read thread in the order sent, and that thread computes each block as soon as the parameters of
/// its version are there and sends the gradient back before it reads on. The worker actor keeps the job's lifecycle
/// (offer, registration, end), not the data path: a hop through its mailbox would wake one more thread per step, and
/// on a machine whose cores are all busy that wake-up waited up to a scheduler slice (p90 0.7 ms, measured).
/// A lost connection, or a block that cannot be computed, ends the link and reaches the actor as
/// <see cref="DataPlaneClosed"/>.
/// </summary>
public sealed class RemoteLink : IDisposable
{
    private readonly WorkerJob _job;
    private readonly Queue<AssignWork> _waiting = new();
    private DataPlaneClient _client = null!;
    private float[] _ownGradient = [];
    private ReadOnlyMemory<float> _parameters;
    private long _parametersVersion = -1;
    private int _nextSlot;

    private RemoteLink(WorkerJob job)
    {
        _job = job;
    }

    /// <summary>Whether tensors go through shared memory (a worker on the coordinator's machine).</summary>
    public bool SharesMemory => _client.SharesMemory;

    /// <summary>Whether parameters come from the job's parameter file, written once for all workers on the machine.</summary>
    public bool MapsJobParameters => _client.MapsJobParameters;

    /// <summary>
    /// Connects the worker's data plane and starts computing what arrives on it, offering shared memory with as many
    /// gradient slots as the worker has <paramref name="credits"/>: the coordinator hands this worker a new block only
    /// once it has the result of its oldest one, and first copies out any result of this worker it still reads in place,
    /// so a slot, used round robin, is never rewritten while the coordinator reads it (a result of a finished step may
    /// be, but such a result is dropped as stale). <paramref name="worker"/> is told
    /// <see cref="DataPlaneClosed"/> when the link ends.
    /// </summary>
    public static async Task<RemoteLink> ConnectAsync(string host, int port, WorkerJob job, int workerId, int credits, IActorRef worker)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(worker);
        var link = new RemoteLink(job);
        var offer = job.Offer;
        // The client reaches the link through Attach, before its read thread can call back.
        await DataPlaneClient.ConnectAsync(
            host,
            port,
            offer.JobId,
            offer.Token,
            workerId,
            job.ParameterCount,
            link.OnParameters,
            link.OnAssignment,
            error => worker.Tell(new DataPlaneClosed(error?.Message)),
            CancellationToken.None,
            sharedSlots: credits,
            beforeReading: link.Attach,
            jobParameters: offer.SharedParameters).ConfigureAwait(false);
        return link;
    }

    private void Attach(DataPlaneClient client)
    {
        _client = client;
        _ownGradient = client.SharesMemory ? [] : new float[_job.ParameterCount];
    }

    /// <summary>Stops the link; returns once the read thread has stopped computing.</summary>
    public void Dispose() => _client.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void OnParameters(long version, ReadOnlyMemory<float> parameters)
    {
        if (!_parameters.IsEmpty)
        {
            _client.ReturnParameters(_parameters);
        }

        _parameters = parameters;
        _parametersVersion = version;
        var count = _waiting.Count;
        for (var i = 0; i < count; i++)
        {
            var work = _waiting.Dequeue();
            if (work.ParameterVersion == _parametersVersion)
            {
                Compute(work);
            }
            else if (work.ParameterVersion > _parametersVersion)
            {
                _waiting.Enqueue(work);
            }
        }
    }

    private void OnAssignment(FrameHeader header, int[] rows)
    {
        var work = new AssignWork(
            _job.Offer.JobId, header.ParameterVersion, header.Epoch, header.Step, header.FirstMicrobatch, header.MicrobatchCount, header.FirstSample, rows);
        if (work.ParameterVersion == _parametersVersion)
        {
            Compute(work);
        }
        else if (work.ParameterVersion > _parametersVersion)
        {
            _waiting.Enqueue(work);
        }
    }

    private void Compute(AssignWork work)
    {
        var started = Stopwatch.GetTimestamp();
        var gradient = _client.SharesMemory ? _client.GradientSlot(_nextSlot) : _ownGradient;
        double loss;
        try
        {
            loss = _job.Compute(work, _parameters.Span, gradient);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"computing step {work.Step} microbatches {work.FirstMicrobatch}+{work.MicrobatchCount} failed: {e.Message}", e);
        }

        SendGradient(work, loss, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Sends the gradient just computed; returns when its buffer may be reused.</summary>
    private void SendGradient(AssignWork work, double lossSum, TimeSpan computeTime)
    {
        var header = new FrameHeader
        {
            ParameterVersion = work.ParameterVersion,
            Epoch = work.Epoch,
            Step = work.Step,
            FirstMicrobatch = work.FirstMicrobatch,
            MicrobatchCount = work.MicrobatchCount,
            SampleCount = work.Rows.Length,
            LossSum = lossSum,
            ComputeMicroseconds = (int)Math.Min(int.MaxValue, computeTime.Ticks / TimeSpan.TicksPerMicrosecond),
        };
        if (_client.SharesMemory)
        {
            _client.SendSharedGradientAsync(header, _nextSlot).AsTask().GetAwaiter().GetResult();
            _nextSlot = (_nextSlot + 1) % _client.SharedSlots;
        }
        else
        {
            _client.SendGradientAsync(header, _ownGradient).AsTask().GetAwaiter().GetResult();
        }
    }
}
