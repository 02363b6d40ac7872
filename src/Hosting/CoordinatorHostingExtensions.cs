using Akka.Hosting;
using SegaLearn.Coordinator;
using SegaLearn.Protocol;

namespace SegaLearn.Hosting;

/// <summary>Akka.Hosting setup of the coordinator, shared by the <c>segalearn</c> programs and the tests.</summary>
public static class CoordinatorHostingExtensions
{
    /// <summary>
    /// Starts the coordinator actor at <c>/user/segalearn-coordinator</c> and registers it as <see cref="CoordinatorActor"/>;
    /// with <paramref name="tls"/> its data plane is TLS with that certificate.
    /// </summary>
    public static AkkaConfigurationBuilder AddSegaLearnCoordinator(this AkkaConfigurationBuilder builder, CoordinatorSettings settings, ClusterCertificate? tls = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        return builder.WithActors((system, registry) =>
            registry.Register<CoordinatorActor>(system.ActorOf(CoordinatorActor.Props(settings, tls), ProtocolInfo.CoordinatorName)));
    }
}
