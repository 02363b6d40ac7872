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

    private RemoteLink(DataPlaneClient client) => _client = client;

    public static async Task<RemoteLink> ConnectAsync(string host, int port, JobOffer offer, int workerId, int parameterCount, IActorRef worker)
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
            CancellationToken.None).ConfigureAwait(false);
        return new RemoteLink(client);
    }

    /// <summary>Sends a computed block's gradient; returns when <paramref name="gradient"/> may be reused.</summary>
    public void SendGradient(AssignWork work, double lossSum, float[] gradient, TimeSpan computeTime)
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
        _client.SendGradientAsync(header, gradient).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Hands back the buffer of a parameter version the actor no longer reads.</summary>
    public void Release(float[] parameters) => _client.ReturnParameters(parameters);

    public void Dispose() => _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
