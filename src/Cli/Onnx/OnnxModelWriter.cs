using System.Runtime.InteropServices;
using SegaLearn.Data;

namespace SegaLearn.Cli.Onnx;

/// <summary>
/// A trained network as an ONNX model (IR 8, opset 13) that ONNX Runtime, ML.NET or onnxruntime-web run: input
/// <c>input</c> [N, inputs] holds the features as they are in the data (raw CSV values; pixel values 0-255 for image
/// models), then the preprocessing (Sub/Div of the standardization, or Div by 255), one Gemm per dense layer with its
/// activation, and the loss's link, so that output <c>probabilities</c> [N, classes] is what <c>segalearn predict</c>
/// writes as p0..pK ([1-p, p] for a single sigmoid output). A regression model has no link: its output
/// <c>predictions</c> [N, outputs] is the last layer's activation (linear by default), <c>predict</c>'s prediction column.
/// </summary>
internal static class OnnxModelWriter
{
    // onnx.proto field numbers and enum values.
    private const int FloatType = 1, AttributeFloat = 1, AttributeInt = 2;

    public static byte[] Write(NeuralNetwork network, Preprocessing preprocessing, string producerVersion)
    {
        var standardizer = preprocessing.Standardizer;
        var architecture = network.Architecture;
        var graph = new ProtoWriter();
        var nodes = new List<ProtoWriter>();
        var initializers = new List<ProtoWriter>();
        var current = "input";

        if (standardizer is not null)
        {
            initializers.Add(Tensor("standardize_mean", [standardizer.Columns], standardizer.Mean.ToArray()));
            initializers.Add(Tensor("standardize_std", [standardizer.Columns], standardizer.Std.ToArray()));
            nodes.Add(Node("Sub", [current, "standardize_mean"], "centered"));
            nodes.Add(Node("Div", ["centered", "standardize_std"], "standardized"));
            current = "standardized";
        }
        else
        {
            // Byte images (the only data that is not standardized) are scaled to [0, 1] as they are gathered.
            initializers.Add(Tensor("pixel_scale", [], [255f]));
            nodes.Add(Node("Div", [current, "pixel_scale"], "scaled"));
            current = "scaled";
        }

        var parameters = (ReadOnlySpan<float>)network.Parameters;
        for (var l = 0; l < architecture.LayerCount; l++)
        {
            var (inputs, outputs) = (network.Layout.InputsOf(l), network.Layout.OutputsOf(l));
            initializers.Add(Tensor($"layer{l}.weight", [inputs, outputs], network.Layout.Weights(parameters, l).ToArray()));
            initializers.Add(Tensor($"layer{l}.bias", [outputs], network.Layout.Bias(parameters, l).ToArray()));
            nodes.Add(Node("Gemm", [current, $"layer{l}.weight", $"layer{l}.bias"], $"layer{l}.z"));
            current = $"layer{l}.z";
            var last = l == architecture.LayerCount - 1;
            if (!(last && architecture.OutputIsFusedWithLoss))
            {
                current = Activate(nodes, architecture.Activations[l], current, $"layer{l}.a");
            }
        }

        var output = architecture.IsRegression ? "predictions" : "probabilities";
        if (architecture.IsRegression)
        {
            nodes.Add(Node("Identity", [current], output));
        }
        else if (architecture.Loss == LossKind.CrossEntropy)
        {
            nodes.Add(Node("Softmax", [current], "probabilities", Int("axis", 1)));
        }
        else
        {
            nodes.Add(Node("Sigmoid", [current], "p"));
            initializers.Add(Tensor("one", [], [1f]));
            nodes.Add(Node("Sub", ["one", "p"], "q"));
            nodes.Add(Node("Concat", ["q", "p"], "probabilities", Int("axis", 1)));
        }

        foreach (var node in nodes)
        {
            graph.Message(1, node);
        }

        graph.String(2, "segalearn");
        foreach (var initializer in initializers)
        {
            graph.Message(5, initializer);
        }

        graph.Message(11, ValueInfo("input", architecture.InputSize));
        graph.Message(12, ValueInfo(output, architecture.IsRegression ? architecture.OutputSize : architecture.ClassCount));
        return new ProtoWriter()
            .Varint(1, 8)
            .String(2, "segalearn")
            .String(3, producerVersion)
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, string.Empty).Varint(2, 13))
            .ToArray();
    }

    private static string Activate(List<ProtoWriter> nodes, Activation activation, string input, string output)
    {
        switch (activation.Kind)
        {
            case ActivationKind.Linear:
                return input;
            case ActivationKind.ReLU:
                nodes.Add(Node("Relu", [input], output));
                break;
            case ActivationKind.LeakyReLU:
                nodes.Add(Node("LeakyRelu", [input], output, new ProtoWriter().String(1, "alpha").Float(2, activation.Alpha).Varint(20, AttributeFloat)));
                break;
            case ActivationKind.Tanh:
                nodes.Add(Node("Tanh", [input], output));
                break;
            case ActivationKind.Sigmoid:
                nodes.Add(Node("Sigmoid", [input], output));
                break;
            case ActivationKind.Softmax:
                nodes.Add(Node("Softmax", [input], output, Int("axis", 1)));
                break;
        }

        return output;
    }

    private static ProtoWriter Int(string name, long value) => new ProtoWriter().String(1, name).Varint(3, value).Varint(20, AttributeInt);

    private static ProtoWriter Node(string op, string[] inputs, string output, ProtoWriter? attribute = null)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        node.String(2, output).String(3, output).String(4, op);
        if (attribute is not null)
        {
            node.Message(5, attribute);
        }

        return node;
    }

    private static ProtoWriter Tensor(string name, int[] dims, float[] values)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims)
        {
            tensor.Varint(1, dim);
        }

        return tensor.Varint(2, FloatType).String(8, name).Bytes(9, BitConverter.IsLittleEndian ? MemoryMarshal.AsBytes(values.AsSpan()) : LittleEndian(values));
    }

    private static byte[] LittleEndian(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return bytes;
    }

    /// <summary>A float tensor [N, columns] with a symbolic batch dimension.</summary>
    private static ProtoWriter ValueInfo(string name, int columns)
    {
        var shape = new ProtoWriter()
            .Message(1, new ProtoWriter().String(2, "N"))
            .Message(1, new ProtoWriter().Varint(1, columns));
        var tensorType = new ProtoWriter().Varint(1, FloatType).Message(2, shape);
        return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
