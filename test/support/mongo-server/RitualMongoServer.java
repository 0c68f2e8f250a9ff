import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * MongoDB-wire test server for ritual's tests: mongo-java-server with its H2
 * file backend, so data survives a stop and a start (the reconnect tests need that).
 *
 * Usage: java RitualMongoServer PORT DATA_FILE [--exit-on-stdin-eof]
 *   PORT 0 picks a free port; DATA_FILE ":memory:" keeps nothing and uses the
 *   plain in-memory backend (H2 re-serialises a whole document on every update,
 *   which makes long metric arrays slow; benchmarks use memory).
 * Prints "ritual-mongo-server ready 127.0.0.1:PORT" once it accepts connections.
 * With --exit-on-stdin-eof it stops when its parent goes away (the pipe closes),
 * so a crashed test never leaves a server behind.
 */
public final class RitualMongoServer {
    /**
     * The mongodb 6.x Node driver refuses servers below wire version 8 (MongoDB 4.2)
     * and PyMongo 4.x (used by the Sacred conformance tests) below 9 (MongoDB 4.4).
     */
    private static final MongoVersion MONGO_4_4 = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RitualMongoServer PORT DATA_FILE [--exit-on-stdin-eof]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        String dataFile = args[1];
        boolean exitOnStdinEof = args.length > 2 && args[2].equals("--exit-on-stdin-eof");

        AbstractMongoBackend backend = dataFile.equals(":memory:") ? new MemoryBackend() : new H2Backend(dataFile);
        backend.version(MONGO_4_4);
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", port);
        InetSocketAddress address = server.getLocalAddress();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Stop accepting first, then close H2 so every committed write is on disk.
            server.shutdownNow();
            backend.close();
        }));

        System.out.println("ritual-mongo-server ready 127.0.0.1:" + address.getPort());
        System.out.flush();

        if (exitOnStdinEof) {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            while (in.read(buffer) >= 0) {
                // keep reading until the parent closes the pipe
            }
            System.exit(0);
        }
    }
}
