import { serve } from "https://deno.land/std@0.140.0/http/server.ts";

serve((_req) => new Response("Hello from Deno"), { port: 8000 });
