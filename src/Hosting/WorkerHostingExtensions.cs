using Akka.Hosting;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Hosting;

/// <summary>Akka.Hosting setup of workers, shared by the <c>segalearn</c> programs and the tests.</summary>
public static class WorkerHostingExtensions
{
    /// <summary>The path of the coordinator in this actor system, for in-process workers.</summary>
    public static string LocalCoordinatorPath => $"/user/{ProtocolInfo.CoordinatorName}";

    /// <summary>
    /// Starts <paramref name="count"/> worker actors that greet the coordinator at <paramref name="coordinatorPath"/>
    /// (in this process by default, or e.g. <c>akka.tcp://segalearn@host:port/user/segalearn-coordinator</c>).
    /// <paramref name="stopped"/>, for a single worker, learns why it stopped. With <paramref name="tls"/> the workers'
    /// data-plane and peer connections are TLS with that certificate.
    /// </summary>
    public static AkkaConfigurationBuilder AddSegaLearnWorker(
        this AkkaConfigurationBuilder builder, WorkerSettings settings, int count = 1, string? coordinatorPath = null, TaskCompletionSource<WorkerStopped>? stopped = null,
        ClusterCertificate? tls = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (stopped is not null && count != 1)
        {
            throw new ArgumentException("a stop notification is for a single worker", nameof(stopped));
        }

        var path = coordinatorPath ?? LocalCoordinatorPath;
        return builder.WithActors((system, _) =>
        {
            for (var i = 0; i < count; i++)
            {
                var named = count == 1 ? settings : settings with { Name = $"{settings.Name}-{i + 1}" };
                system.ActorOf(WorkerActor.Props(named, path, stopped, tls), $"segalearn-worker-{i + 1}");
            }
        });
    }
}
