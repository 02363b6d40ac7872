namespace SegaLearn.Distributed.Tests;

/// <summary>Actor system settings of the specs.</summary>
internal static class ActorSpecConfig
{
    /// <summary>Every message between actors goes through its serializer, as it would between nodes.</summary>
    public const string SerializeMessages = """
        akka.actor.serialize-messages = on
        akka.loglevel = WARNING
        """;
}
