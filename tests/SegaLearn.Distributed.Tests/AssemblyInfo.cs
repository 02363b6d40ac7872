// Actor specs start actor systems with timers and sockets; run them one at a time so timing is predictable on 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
