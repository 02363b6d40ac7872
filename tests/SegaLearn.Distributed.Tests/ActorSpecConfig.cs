using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Serialization;
using SegaLearn.Protocol;

namespace SegaLearn.Distributed.Tests;

/// <summary>Actor system settings of the specs.</summary>
internal static class ActorSpecConfig
{
    /// <summary>
    /// Every message between actors goes through its serializer, as it would between nodes: control messages
    /// through <see cref="ProtocolSerializer"/>, as the cluster nodes have it.
    /// </summary>
    public static ActorSystemSetup SerializeMessages =>
        BootstrapSetup.Create()
            .WithConfig(ConfigurationFactory.ParseString("""
                akka.actor.serialize-messages = on
                akka.loglevel = WARNING
                """))
            .And(SerializationSetup.Create(system =>
                [SerializerDetails.Create("segalearn", new ProtocolSerializer(system), ImmutableHashSet.Create(typeof(IControlMessage)))]));
}
