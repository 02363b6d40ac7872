using System.Reflection;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SegaLearn.Coordinator;
using SegaLearn.Hosting;
using SegaLearn.Protocol;
using SegaLearn.Worker;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// Nothing that crosses nodes falls back to Akka's default (Newtonsoft JSON) serializer: every message type the actors
/// receive either stays on its node (<see cref="INoSerializationVerificationNeeded"/>) or is an
/// <see cref="IControlMessage"/> that the cluster set-up binds to <see cref="ProtocolSerializer"/>, which has a manifest for it.
/// </summary>
public sealed class ControlPlaneSerializationTests : IDisposable
{
    private static readonly Assembly[] ActorAssemblies = [typeof(IControlMessage).Assembly, typeof(CoordinatorActor).Assembly, typeof(WorkerActor).Assembly];

    private readonly IHost _node;

    public ControlPlaneSerializationTests()
    {
        var builder = SegaLearnHost.CreateBuilder();
        var node = new ClusterNodeSettings { PublicHost = "127.0.0.1", BindHost = "127.0.0.1" };
        builder.Services.AddAkka(SegaLearnHost.SystemName, akka => akka.WithSegaLearnCluster(node, ProtocolInfo.WorkerRole));
        _node = builder.Build();
        _node.Start();
    }

    public void Dispose()
    {
        _node.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        _node.Dispose();
    }

    private static IEnumerable<Type> ReceivedSegaLearnTypes() =>
        ActorAssemblies.SelectMany(ActorReceives.Of).Distinct().Where(type => ActorAssemblies.Contains(type.Assembly));

    private static IEnumerable<Type> ControlMessageTypes() =>
        ActorAssemblies.SelectMany(assembly => assembly.GetTypes()).Where(type => typeof(IControlMessage).IsAssignableFrom(type) && !type.IsAbstract);

    [Fact]
    public void Actors_should_receive_only_control_messages_or_node_local_ones_when_the_type_is_ours()
    {
        var received = ReceivedSegaLearnTypes().ToList();

        // The IL scan finds what each side receives from the other, so an empty or partial scan cannot pass.
        Assert.Contains(typeof(WorkerHello), received);
        Assert.Contains(typeof(JobOffer), received);
        Assert.Contains(typeof(BeginJob), received);
        Assert.All(received, type => Assert.True(
            typeof(IControlMessage).IsAssignableFrom(type) ^ typeof(INoSerializationVerificationNeeded).IsAssignableFrom(type),
            $"{type.FullName} must be either an IControlMessage (it may cross nodes) or INoSerializationVerificationNeeded (it never does)"));
    }

    [Fact]
    public void Cluster_nodes_should_serialize_with_the_protocol_serializer_when_a_message_may_cross_nodes()
    {
        var serialization = _node.Services.GetRequiredService<ActorSystem>().Serialization;
        var crossing = ControlMessageTypes()
            .Concat(ReceivedSegaLearnTypes().Where(type => !typeof(INoSerializationVerificationNeeded).IsAssignableFrom(type)))
            .Distinct()
            .ToList();

        Assert.Contains(typeof(DataChunk), crossing);
        Assert.All(crossing, type =>
        {
            var serializer = serialization.FindSerializerForType(type);
            Assert.True(serializer is ProtocolSerializer, $"{type.FullName} would cross nodes through {serializer.GetType().Name}");
        });
    }

    [Fact]
    public void Protocol_serializer_should_name_every_control_message_with_its_own_manifest_when_one_is_added()
    {
        var serializer = (ProtocolSerializer)_node.Services.GetRequiredService<ActorSystem>().Serialization.FindSerializerForType(typeof(IControlMessage));

        // Manifest looks at the type alone, so an instance with no fields set is enough to ask it.
        var manifests = ControlMessageTypes().ToDictionary(type => type, type => serializer.Manifest(RuntimeHelpers.GetUninitializedObject(type)));

        Assert.Equal(manifests.Count, manifests.Values.Distinct().Count());
    }
}
