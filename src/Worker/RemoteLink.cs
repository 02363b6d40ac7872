using Akka.Actor;
using SegaLearn.Protocol;

namespace SegaLearn.Worker;

/// <summary>
/// A remote worker's data-plane connection, seen from its actor: parameter versions and block assignments arrive as
/// <see cref="ParametersArrived"/> and <see cref="AssignmentArrived"/> messages, in the order sent (the actor hands a version's buffer back with <see cref="Release"/> once a
/// newer one replaces it), a lost connection stops the actor, and gradients go out synchronously so the actor's single
/// gradient buffer can be reused right away.
/// </summary>
public sealed class RemoteLink : IDisposable
{
    private readonly DataPlaneClient _client;
    private readonly float[] _ownGradient;
    private int _nextSlot;

    private RemoteLink(DataPlaneClient client, int parameterCount)
    {
        _client = client;
        _ownGradient = client.SharesMemory ? [] : new float[parameterCount];
    }

    /// <summary>Whether tensors go through shared memory (a worker on the coordinator's machine).</summary>
    public bool SharesMemory => _client.SharesMemory;

    /// <summary>
    /// Connects the worker's data plane, offering shared memory with as many gradient slots as the worker has
    /// <paramref name="credits"/>: the coordinator hands this worker a new block only after reading the result of its
    /// oldest one, so a slot, used round robin, is never rewritten before it was read (a result of a finished step
    /// may be, but such a result is dropped as stale).
    /// </summary>
    public static async Task<RemoteLink> ConnectAsync(string host, int port, JobOffer offer, int workerId, int parameterCount, int credits, IActorRef worker)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var client = await DataPlaneClient.ConnectAsync(
            host,
            port,
            offer.JobId,
            offer.Token,
            workerId,
            parameterCount,
            (version, parameters) => worker.Tell(new ParametersArrived(version, parameters)),
            (header, rows) => worker.Tell(new AssignmentArrived(header, rows)),
            error => worker.Tell(new DataPlaneClosed(error?.Message)),
            CancellationToken.None,
            sharedSlots: credits).ConfigureAwait(false);
        return new RemoteLink(client, parameterCount);
    }

    /// <summary>Where to compute the next block's gradient: the next shared slot, or the worker's own buffer.</summary>
    public Span<float> NextGradient() => _client.SharesMemory ? _client.GradientSlot(_nextSlot) : _ownGradient;

    /// <summary>Sends the gradient computed into <see cref="NextGradient"/>; returns when that buffer may be reused.</summary>
    public void SendGradient(AssignWork work, double lossSum, TimeSpan computeTime)
    {
        ArgumentNullException.ThrowIfNull(work);
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

    /// <summary>Hands back the buffer of a parameter version the actor no longer reads.</summary>
    public void Release(ReadOnlyMemory<float> parameters) => _client.ReturnParameters(parameters);

    public void Dispose() => _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
