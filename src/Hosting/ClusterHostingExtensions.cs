using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using SegaLearn.Protocol;

namespace SegaLearn.Hosting;

/// <summary>Akka.Hosting setup of a cluster node, the same on coordinator and workers so remoting settings match.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// Remoting with an explicit maximum frame size (control messages stay under 64 KiB; tensors use the data plane)
    /// and without write batching (a step waits on every control message, so latency beats throughput), Akka.Cluster
    /// with the node's <paramref name="role"/>, a fast failure detector, and the split brain resolver keeping the side
    /// with the oldest coordinator.
    /// </summary>
    public static AkkaConfigurationBuilder WithSegaLearnCluster(this AkkaConfigurationBuilder builder, ClusterNodeSettings settings, string role)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        return builder
            .WithRemoting(new RemoteOptions
            {
                HostName = settings.BindHost,
                PublicHostName = settings.PublicHost,
                Port = settings.Port,
                MaxFrameSize = ProtocolInfo.MaxFrameBytes,
            })
            .WithClustering(new ClusterOptions
            {
                Roles = [role],
                SeedNodes = [.. settings.SeedNodes],
                LogInfo = false,
                SplitBrainResolver = new KeepOldestOption { Role = ProtocolInfo.CoordinatorRole, DownIfAlone = false },
                FailureDetector = new PhiAccrualFailureDetectorOptions
                {
                    HeartbeatInterval = settings.HeartbeatInterval,
                    AcceptableHeartbeatPause = settings.AcceptableHeartbeatPause,
                },
            })
            .WithSegaLearnSerializer()
            .AddHocon(
                """
                akka.remote.dot-netty.tcp.batching.enabled = false
                akka.remote.log-remote-lifecycle-events = off
                """,
                HoconAddMode.Prepend);
    }

    /// <summary>Control messages use <see cref="ProtocolSerializer"/>, compact and versioned, instead of a reflection-based serializer.</summary>
    public static AkkaConfigurationBuilder WithSegaLearnSerializer(this AkkaConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithCustomSerializer("segalearn", [typeof(IControlMessage)], system => new ProtocolSerializer(system));
    }
}
