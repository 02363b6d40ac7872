using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;
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
    /// <para>
    /// With <paramref name="tls"/>, remoting runs over TLS (<c>EnableSsl</c>) with mutual authentication
    /// (<c>RequireMutualAuthentication</c>: each side presents the certificate), no host-name check
    /// (<c>ValidateCertificateHostname</c> off: every node holds the same certificate, whatever its address) and a
    /// <c>CustomValidator</c> in place of chain validation that accepts exactly the cluster certificate and logs any
    /// other, or none, as a warning naming the peer.
    /// </para>
    /// </summary>
    public static AkkaConfigurationBuilder WithSegaLearnCluster(this AkkaConfigurationBuilder builder, ClusterNodeSettings settings, string role, ClusterCertificate? tls = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var remoting = new RemoteOptions
        {
            HostName = settings.BindHost,
            PublicHostName = settings.PublicHost,
            Port = settings.Port,
            MaxFrameSize = ProtocolInfo.MaxFrameBytes,
        };
        if (tls is not null)
        {
            remoting.EnableSsl = true;
            remoting.Ssl = new SslOptions
            {
                X509Certificate = tls.Certificate,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                CustomValidator = PinnedTo(tls),
            };
        }

        return builder
            .WithRemoting(remoting)
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

    private static CertificateValidationCallback PinnedTo(ClusterCertificate tls) => (certificate, _, remotePeer, _, log) =>
    {
        if (tls.Mismatch(certificate) is not { } refusal)
            return true;
        log.Warning("remoting refused a TLS connection with {0}: {1}", remotePeer, refusal);
        return false;
    };

    /// <summary>Control messages use <see cref="ProtocolSerializer"/>, compact and versioned, instead of a reflection-based serializer.</summary>
    public static AkkaConfigurationBuilder WithSegaLearnSerializer(this AkkaConfigurationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithCustomSerializer("segalearn", [typeof(IControlMessage)], system => new ProtocolSerializer(system));
    }
}
